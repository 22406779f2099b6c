// npm run bench:send: `fa send` delivering 1,000 alerts to 100 channels through the Slack test
// server, which enforces 1 message/s per channel (429 + Retry-After beyond it). Ideal: 10 s
// (10 messages per channel at 1/s). Prints the time against the ideal and the 429s received.
// Then a crash: 600 alerts, `fa send` killed (-9) halfway, and a restart with the server capping
// conversations.history at 50 a minute: the restart's time beyond its ideal and its history calls.
//
// Uses the broker in KAFKA_BROKERS, else starts a throwaway one (scripts/kafka.mjs).
// BENCH_ALERTS, BENCH_CHANNELS and BENCH_RUNS change the sizes; BENCH_CRASH_ALERTS the crash's.
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Kafka, logLevel, Partitioners} from 'kafkajs'

import {ensureTopics} from '../src/lib/kafka/topics.js'
import {silenceKafkajsTimeoutWarning} from '../src/lib/kafka/patches/node-warnings.js'
import {configSchema} from '../src/lib/config/schema.js'
import {buildSlackMessage} from '../src/lib/slack/blocks.js'
import {md} from '../src/lib/slack/mrkdwn.js'
import {startBroker, stopBroker} from '../scripts/kafka.mjs'
// Node 24 strips the types of the test server's TypeScript.
import {startSlackServer} from '../test/support/slack-server.ts'

silenceKafkajsTimeoutWarning()
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ALERTS = Number(process.env.BENCH_ALERTS ?? 1_000)
const CHANNELS = Number(process.env.BENCH_CHANNELS ?? 100)
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
const PER_CHANNEL_PER_SECOND = 1
// The client is configured at exactly Slack's rate (BENCH_CLIENT_RATE to try others): fa send
// charges each post at its response (src/lib/send/pacer.ts), so latency jitter causes no 429s.
const CLIENT_PER_SECOND = Number(process.env.BENCH_CLIENT_RATE ?? PER_CHANNEL_PER_SECOND)
const ideal = (ALERTS / CHANNELS / PER_CHANNEL_PER_SECOND) * 1000
const defaultCap = configSchema.parse({}).slack.workspacePerMinute
// Enough for every channel at full rate, with room: 100 channels × 60/min.
const workspacePerMinute = CHANNELS * 60 * 2

const dir = mkdtempSync(path.join(tmpdir(), 'fa-bench-send-'))
let broker
let brokers = process.env.KAFKA_BROKERS
if (!brokers) {
  process.stderr.write('starting a Kafka broker… ')
  broker = await startBroker({dir: path.join(dir, 'kafka')})
  brokers = broker.bootstrap
  process.stderr.write(`${brokers}\n`)
}
const cleanup = async () => {
  if (broker) await stopBroker(path.join(dir, 'kafka')).catch(() => {})
  rmSync(dir, {recursive: true, force: true})
}

const kafka = new Kafka({clientId: 'fa-bench-send', brokers: [brokers], logLevel: logLevel.NOTHING})
const admin = kafka.admin()
await admin.connect()

/** Topics, the alerts on slack-messages, a Slack test server and a config for them. */
async function prepare(run, alertCount, serverOptions) {
  const prefix = `bench-send-${randomUUID().slice(0, 8)}.`
  const topics = {
    messages: `${prefix}slack-messages`,
    responses: `${prefix}slack-responses`,
    deadLetters: `${prefix}fa-dead-letters`,
  }
  await ensureTopics(
    admin,
    [
      {topic: topics.messages, roles: ['sink'], compacted: false},
      {topic: topics.responses, roles: ['slack-responses'], compacted: true},
      {topic: topics.deadLetters, roles: ['dead-letters'], compacted: false},
    ],
    {partitions: 3, replicationFactor: 1},
  )
  const channels = Array.from({length: CHANNELS}, (_, i) => `C0BENCH${String(i).padStart(3, '0')}`)
  const alerts = Array.from({length: alertCount}, (_, i) =>
    buildSlackMessage(`bench-${i}`, 'bench', {
      recipient: channels[i % CHANNELS],
      header: `Connector failed in org-${i}`,
      text: md`*orders-cdc* in org-${String(i)} went from Provisioning to Failed`,
      fields: [
        {label: 'Account', value: `Acme ${i}`},
        {label: 'Connector', value: 'lcc-1'},
      ],
      context: ['fa bench'],
    }),
  )
  const producer = kafka.producer({createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false})
  await producer.connect()
  await producer.send({
    topic: topics.messages,
    acks: -1,
    messages: alerts.map((a) => ({key: a.alertId, value: JSON.stringify(a)})),
  })
  await producer.disconnect()

  const slack = await startSlackServer({rate: {perSecond: PER_CHANNEL_PER_SECOND, burst: 1}, ...serverOptions})
  const file = path.join(dir, `fa-${run}.config.yaml`)
  writeFileSync(
    file,
    [
      'topics:',
      `  slackMessages: ${topics.messages}`,
      `  slackResponses: ${topics.responses}`,
      `  deadLetters: ${topics.deadLetters}`,
      'slack:',
      `  apiUrl: ${slack.url}`,
      `  group: ${prefix}fa-send`,
      `  perChannelPerSecond: ${CLIENT_PER_SECOND}`,
      '  perChannelBurst: 1',
      `  workspacePerMinute: ${workspacePerMinute}`,
      '',
    ].join('\n'),
  )
  return {slack, file, channels}
}

function spawnSend(file, slack) {
  return spawn(process.execPath, [path.join(root, 'bin/run.js'), 'send', '--from', 'earliest', '--json', '-c', file], {
    cwd: root,
    env: {...process.env, KAFKA_BROKERS: brokers, SLACK_BOT_TOKEN: slack.token, FA_LOG_LEVEL: 'warn', NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs `fa send` to the end: its --json summary. */
function send(file, slack) {
  return new Promise((resolve, reject) => {
    const child = spawnSend(file, slack)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`fa send exited ${code}: ${stderr}`)),
    )
  })
}

async function once(run) {
  const {slack, file} = await prepare(run, ALERTS)
  const started = performance.now()
  const result = await send(file, slack)
  const wallMs = performance.now() - started
  const ts = slack.posts.map((p) => Number(p.ts) * 1000).sort((a, b) => a - b)
  const spanMs = ts.length ? ts.at(-1) - ts[0] : 0
  const once = new Set(slack.posts.map((p) => p.alertId)).size === slack.posts.length && slack.posts.length === ALERTS
  await slack.close()
  return {result, wallMs, spanMs, rateLimited: slack.rateLimited, once}
}

const CRASH_ALERTS = Number(process.env.BENCH_CRASH_ALERTS ?? 600)
const HISTORY_PER_MINUTE = 50

/** Kills `fa send` (-9) halfway through, then times the restart against its own ideal. */
async function crash() {
  const {slack, file, channels} = await prepare('crash', CRASH_ALERTS, {
    historyRate: {perMinute: HISTORY_PER_MINUTE, burst: 3},
  })
  const first = spawnSend(file, slack)
  const exited = new Promise((resolve) => first.on('close', resolve))
  while (slack.posts.length < CRASH_ALERTS / 2) await new Promise((r) => setTimeout(r, 20))
  first.kill('SIGKILL')
  await exited
  const postedBefore = slack.posts.length
  const callsBefore = slack.calls.length
  // The restart's ideal: the channel with the most alerts left, at 1 message/s.
  const left = new Map(channels.map((c) => [c, CRASH_ALERTS / CHANNELS]))
  for (const p of slack.posts) left.set(p.requested, left.get(p.requested) - 1)
  const restartIdeal = (Math.max(...left.values()) / PER_CHANNEL_PER_SECOND) * 1000
  const restartedAt = Date.now()
  const result = await send(file, slack)
  // Until the first lookup or post: joining the group (the killed member holds its partitions until
  // its session times out) and the wait for the killed run's requests (slack.timeoutMs).
  const firstCallMs = (slack.calls[callsBefore + 1]?.at ?? restartedAt) - restartedAt
  const calls = slack.calls.slice(callsBefore)
  const history = calls.filter((c) => c.method === 'conversations.history')
  const ids = slack.posts.map((p) => p.alertId)
  const once = new Set(ids).size === ids.length && ids.length === CRASH_ALERTS
  await slack.close()
  return {result, postedBefore, restartIdeal, history, once, ids, firstCallMs}
}

const pct = (ms) => `${ms >= ideal ? '+' : ''}${(((ms - ideal) / ideal) * 100).toFixed(0)}%`
try {
  console.log(
    `fa send: ${ALERTS} alerts to ${CHANNELS} channels, ` +
      `server enforcing ${PER_CHANNEL_PER_SECOND} message/s per channel (burst 1)`,
  )
  console.log(
    `client: slack.perChannelPerSecond ${CLIENT_PER_SECOND}, perChannelBurst 1, ` +
      `workspacePerMinute ${workspacePerMinute} ` +
      `(default cap ${defaultCap}/min would take ≥ ${((ALERTS / defaultCap) * 60).toFixed(0)} s)`,
  )
  console.log(`ideal: ${(ideal / 1000).toFixed(1)} s\n`)
  for (let run = 1; run <= RUNS; run++) {
    const {result, wallMs, spanMs, rateLimited, once: exactlyOnce} = await once(run)
    console.log(
      [
        `run ${run}: fa send ${(result.ms / 1000).toFixed(1)} s (${pct(result.ms)} vs ideal)`,
        `wall-clock incl. start-up ${(wallMs / 1000).toFixed(1)} s (${pct(wallMs)})`,
        `first→last post ${(spanMs / 1000).toFixed(1)} s`,
        `delivered ${result.delivered}/${ALERTS}${exactlyOnce ? ' exactly once' : ' NOT exactly once'}`,
        `429s ${rateLimited}`,
        `retries ${result.retries}`,
      ].join(', '),
    )
    const within = result.ms <= ideal * 1.2
    console.log(`  target ≤ ${((ideal * 1.2) / 1000).toFixed(1)} s (ideal + 20%): ${within ? 'met' : 'MISSED'}`)
  }
  console.log(
    `\ncrash: ${CRASH_ALERTS} alerts to ${CHANNELS} channels, fa send killed (-9) halfway; ` +
      `server capping conversations.history at ${HISTORY_PER_MINUTE}/min`,
  )
  const {result, postedBefore, restartIdeal, history, once: crashOnce, ids, firstCallMs} = await crash()
  const limited = history.filter((c) => c.result === 'http 429').length
  console.log(
    [
      `killed after ${postedBefore} posts; restart: fa send ${(result.ms / 1000).toFixed(1)} s`,
      `ideal ${(restartIdeal / 1000).toFixed(1)} s, extra ${((result.ms - restartIdeal) / 1000).toFixed(1)} s`,
      `first Slack call (after auth.test) ${(firstCallMs / 1000).toFixed(1)} s in`,
      `in doubt ${result.inDoubt}, found in history ${result.foundInHistory}`,
      `conversations.history calls ${history.length} (${limited} answered 429)`,
      `posted ${new Set(ids).size}/${CRASH_ALERTS}${crashOnce ? ' exactly once' : ' NOT exactly once'}`,
    ].join(', '),
  )
} finally {
  await admin.disconnect()
  await cleanup()
}
