// Helpers for `fa send` tests: a config per test (own topics, own group, the Slack test server),
// alerts produced to the real broker, topics read back to their end, a long-running fa process.
import {randomUUID} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Partitioners, type Kafka, type KafkaMessage} from 'kafkajs'

import {ensureTopics} from '../../src/lib/kafka/topics.js'
import {buildSlackMessage, type SlackMessage} from '../../src/lib/slack/blocks.js'
import {md} from '../../src/lib/slack/mrkdwn.js'
import {readMessagesToEnd, spawnFa, type FaProcess} from './fa-process.js'
import {withAdmin} from './kafka-io.js'

export const TOKEN = 'xoxb-4242-4242-SeCrEtSendToken'

/** Fast failover and quiet, parseable logs for fa child processes. */
export const fastEnv: NodeJS.ProcessEnv = {
  FA_KAFKA_SESSION_TIMEOUT_MS: '3000',
  FA_KAFKA_HEARTBEAT_INTERVAL_MS: '500',
  FA_KAFKA_REBALANCE_TIMEOUT_MS: '6000',
  FA_KAFKA_MAX_WAIT_MS: '100',
  FA_SLACK_BACKOFF_BASE_MS: '20',
  FA_SLACK_BACKOFF_MAX_MS: '200',
  FA_LOG_FORMAT: 'json',
}

export interface SendTopics {
  messages: string
  responses: string
  deadLetters: string
}

export interface SendConfig {
  file: string
  group: string
  topics: SendTopics
  env: NodeJS.ProcessEnv
}

/** Creates the topics and writes a config pointing at them, the group and the Slack server. */
export async function sendConfig(
  kafka: Kafka,
  what: string,
  slack: {
    apiUrl: string
    perChannelPerSecond?: number
    perChannelBurst?: number
    workspacePerMinute?: number
    maxAttempts?: number
    timeoutMs?: number
    /** The test server caps no history by default: no need to pace lookups at Slack's rate. */
    historyPerMinute?: number
  },
): Promise<SendConfig> {
  const prefix = `t-${what}-${randomUUID().slice(0, 8)}.`
  const topics: SendTopics = {
    messages: `${prefix}slack-messages`,
    responses: `${prefix}slack-responses`,
    deadLetters: `${prefix}fa-dead-letters`,
  }
  // ensureTopics waits for the new topics' leaders (kafkajs' waitForLeaders gives up too early on KRaft).
  await withAdmin(kafka, (admin) =>
    ensureTopics(
      admin,
      [
        {topic: topics.messages, roles: ['sink'], compacted: false},
        {topic: topics.deadLetters, roles: ['dead-letters'], compacted: false},
        {topic: topics.responses, roles: ['slack-responses'], compacted: true},
      ],
      {partitions: 3, replicationFactor: 1},
    ),
  )
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-send-test-'))
  const file = path.join(dir, 'fa.config.yaml')
  const group = `${prefix}fa-send`
  writeFileSync(
    file,
    [
      'topics:',
      `  slackMessages: ${topics.messages}`,
      `  slackResponses: ${topics.responses}`,
      `  deadLetters: ${topics.deadLetters}`,
      'slack:',
      `  apiUrl: ${slack.apiUrl}`,
      `  group: ${group}`,
      // Each test's group is new and meant to read every alert the test produced.
      '  from: earliest',
      `  perChannelPerSecond: ${slack.perChannelPerSecond ?? 20}`,
      `  perChannelBurst: ${slack.perChannelBurst ?? 5}`,
      `  workspacePerMinute: ${slack.workspacePerMinute ?? 60_000}`,
      `  maxAttempts: ${slack.maxAttempts ?? 6}`,
      `  timeoutMs: ${slack.timeoutMs ?? 1_000}`,
      `  historyPerMinute: ${slack.historyPerMinute ?? 6_000}`,
      '',
    ].join('\n'),
  )
  return {file, group, topics, env: {...fastEnv, SLACK_BOT_TOKEN: TOKEN, FA_CONFIG: file}}
}

export function alert(alertId: string, recipient: string): SlackMessage {
  return buildSlackMessage(alertId, 'test-alert', {
    recipient,
    header: `Alert ${alertId}`,
    text: md`*${alertId}* for <@${recipient}>`,
    fields: [{label: 'Account', value: 'Acme <Corp>'}],
    context: ['fa send test'],
  })
}

export interface RawMessage {
  key: string | null
  value: string | Buffer | null
  headers?: Record<string, string>
  /** Epoch ms as a string (default: the time it is produced). */
  timestamp?: string
}

/** Produces alerts as `fa enrich` does: keyed by alert id, JSON value, fa-alert-id / fa-pipeline headers. */
export async function produceAlerts(
  kafka: Kafka,
  topic: string,
  alerts: SlackMessage[],
  raw: RawMessage[] = [],
): Promise<void> {
  // Idempotent: a retried send (a new topic's partitions not ready everywhere yet) must not duplicate records.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  try {
    const messages = [
      ...alerts.map((a) => ({
        key: a.alertId,
        value: JSON.stringify(a),
        headers: {'fa-alert-id': a.alertId, 'fa-pipeline': 'test-alert'},
      })),
      ...raw,
    ]
    for (let i = 0; i < messages.length; i += 500)
      await producer.send({topic, messages: messages.slice(i, i + 500), acks: -1})
  } finally {
    await producer.disconnect()
  }
}

export interface Read {
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
}

/** Every record of `topic` up to its end offsets now (read_committed). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 20_000): Promise<Read[]> {
  const read = await readMessagesToEnd(kafka, [topic], timeoutMs, () => `readTopic ${topic}: timed out`)
  return read.map(({partition, message}) => toRead(partition, message))
}

function toRead(partition: number, m: KafkaMessage): Read {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(m.headers ?? {}))
    if (value !== undefined) headers[name] = String(Array.isArray(value) ? value.at(-1) : value)
  return {partition, offset: m.offset, key: m.key?.toString('utf8') ?? null, value: m.value, headers}
}

/** Responses by alert id (the last one of each id), parsed. */
export async function responses(kafka: Kafka, topic: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>()
  for (const r of await readTopic(kafka, topic))
    if (r.key && r.value) out.set(r.key, JSON.parse(r.value.toString('utf8')))
  return out
}

/** The group's committed offsets per partition. */
export async function committed(
  kafka: Kafka,
  group: string,
  topic: string,
): Promise<Map<number, {offset: number; metadata: string | null}>> {
  return withAdmin(kafka, async (admin) => {
    const [entry] = await admin.fetchOffsets({groupId: group, topics: [topic]})
    return new Map(
      entry!.partitions.map((p) => [p.partition, {offset: Number(p.offset), metadata: p.metadata ?? null}]),
    )
  })
}

export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, number>> {
  return withAdmin(
    kafka,
    async (admin) => new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)])),
  )
}

export type {FaProcess} from './fa-process.js'

/** Starts the built fa with Node 24 (JSON logs on stderr: `env` should include fastEnv); does not wait for it. */
export function startFa(args: string[], env: NodeJS.ProcessEnv): FaProcess {
  return spawnFa(args, env, {waitForLogMs: 30_000, stderrTail: 3000})
}

/** Polls until `check` is true. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
