// The Kafka benches' shared parts: a broker (KAFKA_BROKERS or a throwaway one), the bench's topics
// under a random prefix, the generated tables and event mixes, and running a process with its CPU time.
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import kafkajs from 'kafkajs'

import {quietKafkajsWarnings, startBroker} from '../../scripts/kafka.mjs'
import {eventValue} from '../generate.mjs'

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

const NAMES = {
  notifications: 'data-notifications-pipeline',
  assignments: 'data-csdr-assignment',
  slackUsers: 'data-slack-users',
  onboarding: 'data-onboarding-events',
  slackMessages: 'slack-messages',
  slackResponses: 'slack-responses',
  deadLetters: 'fa-dead-letters',
  checkpoints: 'fa-checkpoints',
  clusters: 'data-cluster-events',
  state: 'fa-state',
}

/**
 * Where the bench's own broker keeps its log: BENCH_BROKER_DIR, else memory (/dev/shm) where the
 * machine has it. On a VM disk, writeback stalls the broker's threads (IO pressure, D state) and
 * hit hardest the runs that write the most (incidents' changelog): the figures measured the disk
 * (docs/performance.md).
 */
function brokerRoot() {
  if (process.env.BENCH_BROKER_DIR) return process.env.BENCH_BROKER_DIR
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
}

/**
 * A bench session: the broker, a work dir, the topic names, fa's environment, and a `close` that
 * deletes what the bench wrote (a few GB per run) or stops the broker it started.
 */
export async function openBench({partitions}) {
  quietKafkajsWarnings()
  const work = mkdtempSync(path.join(tmpdir(), 'fa-bench-kafka-'))
  let broker
  let brokerDir
  let brokers = process.env.KAFKA_BROKERS
  if (!brokers) {
    const t0 = Date.now()
    brokerDir = mkdtempSync(path.join(brokerRoot(), 'fa-bench-broker-'))
    broker = await startBroker({dir: brokerDir})
    brokers = broker.bootstrap
    console.log(`broker ${brokers} started in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const prefix = `bench-${randomUUID().slice(0, 8)}.`
  const topics = Object.fromEntries(Object.entries(NAMES).map(([k, v]) => [k, prefix + v]))
  // The same tables, with events of a typical notifications topic: 1 in 10 a provisioning failure.
  const typicalTopic = `${prefix}data-notifications-typical`
  /** An fa config over the bench's topics, with some of them swapped (another source, own outputs). */
  const writeConfig = (name, overrides = {}) => {
    const file = path.join(work, name)
    writeFileSync(
      file,
      `kafka:\n  partitions: ${partitions}\ntopics:\n${Object.entries({...topics, ...overrides})
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}\n`,
    )
    return file
  }
  // A quick heartbeat lets the instances of one group settle their partitions fast.
  const env = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    FA_LOG_FORMAT: 'json',
    FA_LOG_LEVEL: 'warn',
    NO_COLOR: '1',
    FA_KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    FA_KAFKA_SESSION_TIMEOUT_MS: '10000',
  }
  const kafka = new kafkajs.Kafka({clientId: 'fa-bench', brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING})
  const close = async () => {
    if (broker) await broker.stop()
    else
      await deleteTopics(kafka, prefix).catch((e) => console.error(`could not delete the bench topics: ${e.message}`))
    rmSync(work, {recursive: true, force: true})
    if (brokerDir) rmSync(brokerDir, {recursive: true, force: true})
  }
  return {brokers, broker, work, prefix, topics, typicalTopic, writeConfig, env, kafka, close}
}

/** Deletes the topics whose names start with `prefix`. */
export async function deleteTopics(kafka, prefix) {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({topics})
  } finally {
    await admin.disconnect()
  }
}

/** Generated Slack user `i`. */
export const slackUserRow = (i) => ({
  email: `user${i}@example.com`,
  slackUserId: `U${String(i).padStart(9, '0')}`,
  displayName: `User ${i}`,
})

/** Generated assignment `i` of `rows`: 5% point at someone without a Slack user. */
export const assignmentRow = (i, rows) => {
  const email = i % 20 === 19 ? `nobody${i}@example.com` : `user${(i * 7) % rows}@example.com`
  return {orgId: `org-${i}`, orgName: `Org ${i} Inc.`, csdrEmail: email, csdrName: `CSDR ${i}`}
}

/** Generated event `i`, its value encoded by `encode`: ~10% of orgs unassigned, 0.1% malformed. */
export const eventMessage = (i, rows, provisioningPer10, encode = JSON.stringify) => {
  const orgId = `org-${(i * 13) % Math.round(rows * 1.1)}`
  return {key: orgId, value: i % 1000 === 7 ? '{oops' : encode(eventValue(i, orgId, provisioningPer10))}
}

/**
 * Tables: `rows` Slack users and `rows` assignments. Events of each mix: 20% (alert-heavy) or
 * 90% (typical) filtered, the rest alerts where assigned. `more(produce)` adds topics of its own.
 */
export async function loadData({kafka, topics, typicalTopic}, {events, rows, partitions}, more = async () => {}) {
  const producer = kafka.producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  })
  await producer.connect()
  const t0 = Date.now()
  const to = (topic, count, make) => produce(producer, topic, count, make)
  await to(topics.slackUsers, rows, (i) => ({key: `user${i}@example.com`, value: JSON.stringify(slackUserRow(i))}))
  await to(topics.assignments, rows, (i) => ({key: `org-${i}`, value: JSON.stringify(assignmentRow(i, rows))}))
  await to(topics.notifications, events, (i) => eventMessage(i, rows, 8))
  await to(typicalTopic, events, (i) => eventMessage(i, rows, 1))
  await more(to)
  await producer.disconnect()
  const loadS = (Date.now() - t0) / 1000
  console.log(
    `produced ${rows.toLocaleString('en')} users, ${rows.toLocaleString('en')} assignments, ` +
      `${events.toLocaleString('en')} events of each mix (${partitions} partitions) in ${loadS.toFixed(1)} s`,
  )
  console.log(
    'alert-heavy mix: 8 in 10 events are provisioning failures (2 in 3 alert); typical mix: 1 in 10 (1 in 12 alert)\n',
  )
}

/** Produces `count` generated messages in large batches, a few requests in flight. */
async function produce(producer, topic, count, make) {
  const BATCH = 2_000
  const inFlight = new Set()
  for (let i = 0; i < count; i += BATCH) {
    const messages = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) messages.push(make(j))
    const p = producer.send({topic, acks: -1, messages}).finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 4) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

/** Runs the built fa; resolves with stdout, rejects with stderr on a non-zero exit. */
const STATELESS = fileURLToPath(new URL('./stateless-provisioning.mjs', import.meta.url))

/** Appends to a config file the built-in connector-provisioning-failed without its incidents. */
export function withoutIncidents(file) {
  appendFileSync(file, `alerts:\n  builtIn: [onboarding-started]\n  modules: [${STATELESS}]\n`)
  return file
}

export async function fa(args, env) {
  return (await faWithCpu(args, env)).stdout
}

/**
 * `n` `fa enrich` processes in one group (exactly-once ones with instance ids of their own);
 * resolves with each one's JSON summary and CPU seconds.
 */
export async function enrichInstances(config, group, {exactlyOnce, n, threads = 1}, env) {
  const flags = [...(exactlyOnce ? ['--exactly-once'] : []), ...(threads > 1 ? ['--threads', String(threads)] : [])]
  const outs = await Promise.all(
    Array.from({length: n}, (_, i) =>
      faWithCpu(
        [
          'enrich',
          '--from',
          'earliest',
          '-c',
          config,
          '--group',
          group,
          '--json',
          ...flags,
          ...(exactlyOnce ? ['--instance', `b${i}`] : []),
        ],
        env,
      ),
    ),
  )
  return outs.map(({stdout, cpu}) => ({summary: JSON.parse(stdout), cpu}))
}

/** Runs the built fa; resolves with stdout and the CPU seconds it used. */
export function faWithCpu(args, env) {
  return run(process.execPath, [path.join(root, 'bin/run.js'), ...args], env)
}

/**
 * Runs a program under sh, whose `times` reports the CPU seconds (user + system) the program
 * used; resolves with its stdout and those seconds, rejects with its stderr on a non-zero exit.
 */
export function run(command, args, env) {
  const script = '"$@"; rc=$?; times >&2; exit $rc'
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', command, ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => {
      const lines = stderr.trimEnd().split('\n')
      const cpu = lines
        .at(-1)
        .split(/\s+/)
        .reduce(
          (sum, t) =>
            sum +
            Number(
              t
                .match(/^(\d+)m([\d.]+)s$/)
                ?.slice(1)
                .reduce((m, s) => m * 60 + Number(s)) ?? 0,
            ),
          0,
        )
      if (code === 0) resolve({stdout, cpu})
      else
        reject(
          new Error(`${path.basename(command)} ${args.join(' ')} exited ${code}:\n${lines.slice(0, -2).join('\n')}`),
        )
    })
  })
}
