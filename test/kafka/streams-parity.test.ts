// bench:streams compares fa enrich with the Kafka Streams app in bench/streams/: that is only fair
// if both do the same work. On the provisioning fixture plus edge cases (escaping, truncation at
// every limit, surrogate pairs, events without an eventId, bad records), both must write the same
// alerts, byte for byte, and the same dead letters; with incidents (BENCH_INCIDENTS=1), on the
// whole fixture (repeats and a recovery), the same updates too.
import {readFileSync} from 'node:fs'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Message} from 'kafkajs'
import {beforeAll, expect, inject, it} from 'vitest'

import {buildStreamsApp, runStreamsApp} from '../../bench/support/streams-app.mjs'
import {root, runFa} from '../support/cli.js'
import {prefixedConfig, readToEnd, type ReadRecord} from '../support/fa-process.js'
import {createTopics, onceProducer, testKafka} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const config = prefixedConfig('streams-parity')
const {topics, prefix} = config
const streamsOut = {alerts: `${prefix}streams-alerts`, deadLetters: `${prefix}streams-dlq`}
const withIncidents = prefixedConfig('streams-parity-incidents')
const streamsIncidentsOut = {
  alerts: `${withIncidents.prefix}streams-alerts`,
  deadLetters: `${withIncidents.prefix}streams-dlq`,
}
const PIPELINE = 'connector-provisioning-failed'

/** Provisioning failures that reach an alert (org-1001 is Jane's), differing where the payload rules bite. */
const edgeEvents: Array<{key: string | null; value: unknown; headers?: Record<string, string>}> = [
  // Every limit: the header (150) cut inside a surrogate pair, fields cut at their share, the detail at 3000.
  {
    key: 'org-1001',
    value: {
      eventId: 'evt-e1',
      connectorId: 'lcc-e1',
      connectorName: `${'x'.repeat(117)}🚀🚀 <!here>`,
      connectorType: `${'&'.repeat(400)}`,
      oldStatus: 'PROVISIONING',
      newStatus: 'Failed',
      errorMessage: `${'boom ```'.repeat(300)}& the end`,
      occurredAt: '2026-11-24T10:00:00Z',
    },
  },
  // JSON escaping: quotes, backslashes, controls, a lone surrogate, U+2028.
  {
    key: 'org-1001',
    value: {
      eventId: 'evt-"e2"\\',
      connectorId: 'lcc-e2\n\t\u0001',
      connectorName: 'a\ud800b \u2028 "quoted" </script>',
      oldStatus: 'provisioning',
      clusterId: '',
      errorMessage: 'line 1\r\nline 2',
    },
  },
  // No eventId: the alert id hashes the event's JSON; no record key: the org id from the value.
  {
    key: null,
    value: {
      orgId: 'org-1001',
      connectorId: 'lcc-e3',
      connectorType: null,
      oldStatus: 'Provisioning',
      n: 42,
      nested: {a: [1, true, null]},
    },
  },
  {
    key: '',
    value: {orgId: 'org-1001', connectorId: 'lcc-e4', connectorName: '', oldStatus: 'Provisioning', newStatus: ''},
  },
  // Dead letters: a field of the wrong type, a missing connectorId, no org id, a tombstone, headers kept.
  {
    key: 'org-1001',
    value: {connectorId: 'lcc-e5', connectorName: 7, oldStatus: 'Provisioning'},
    headers: {trace: 't-1'},
  },
  {key: 'org-1001', value: {connectorId: '', oldStatus: 'Provisioning'}},
  {key: null, value: {connectorId: 'lcc-e7', oldStatus: 'Provisioning'}},
  {key: 'org-1001', value: null},
]

beforeAll(async () => {
  buildStreamsApp()
  for (const {file} of [config, withIncidents])
    expect((await runFa(['topics', 'create', '-c', file], {env: {KAFKA_BROKERS: brokers}})).code).toBe(0)
  await createTopics(kafka, [...Object.values(streamsOut), ...Object.values(streamsIncidentsOut)])
  const producer = kafka.producer(onceProducer)
  await producer.connect()
  const byTopic = new Map<string, Message[]>()
  const add = (topic: string, message: Message) => byTopic.set(topic, [...(byTopic.get(topic) ?? []), message])
  const lines = readFileSync(path.join(root, 'fixtures/provisioning.jsonl'), 'utf8').trim().split('\n')
  const connectors = new Set<unknown>()
  for (const line of lines) {
    const {topic, key, value} = JSON.parse(line) as {topic: string; key: string | null; value: unknown}
    const message = {key, value: value === null || typeof value === 'string' ? value : JSON.stringify(value)}
    add(withIncidents.prefix + topic, message)
    // Without incidents: leave out the events that would update or resolve one.
    const event = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {}
    if (prefix + topic === topics.notifications && (connectors.has(event.connectorId) || event.newStatus === 'Running'))
      continue
    if (event.connectorId !== undefined) connectors.add(event.connectorId)
    add(prefix + topic, message)
  }
  for (const {key, value, headers} of edgeEvents) {
    const message = {key, value: value === null ? null : JSON.stringify(value), headers}
    add(topics.notifications, message)
    add(withIncidents.topics.notifications, message)
  }
  for (const [topic, messages] of byTopic) await producer.send({topic, acks: -1, messages})
  await producer.disconnect()
}, 180_000)

/** fa enrich and the Streams app over `cfg`'s topics; the app's summary. */
async function runBoth(cfg: typeof config, out: typeof streamsOut, incidents: boolean) {
  const fa = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}fa`, '--json'], {
    env: {KAFKA_BROKERS: brokers},
  })
  expect(fa.code, fa.stderr).toBe(0)
  return runStreamsApp({
    bootstrap: brokers,
    application: `${cfg.prefix}streams`,
    source: cfg.topics.notifications,
    assignments: cfg.topics.assignments,
    slackUsers: cfg.topics.slackUsers,
    alerts: out.alerts,
    deadLetters: out.deadLetters,
    guarantee: 'exactly_once_v2',
    threads: 1,
    stateDir: mkdtempSync(path.join(tmpdir(), 'fa-streams-state-')),
    ...(incidents && {incidents: 1}),
  })
}

// fa also runs onboarding-started and dead-letters bad table rows: the Streams app does neither.
const ours = (records: ReadRecord[]) => records.filter((r) => r.headers['fa-pipeline'] === PIPELINE)
const byAlertId = (records: ReadRecord[]) =>
  ours(records)
    // When fa enrich wrote an alert (fa-produced-at) is the one header a second app cannot share.
    .map(({key, value, headers: {'fa-produced-at': _producedAt, ...headers}}) => ({key, value, headers}))
    .sort(
      (a, b) =>
        a.key!.localeCompare(b.key!) || Number(a.headers['fa-revision'] ?? 0) - Number(b.headers['fa-revision'] ?? 0),
    )
const deadLetters = async (topic: string) =>
  ours(await readToEnd(kafka, [topic]))
    .map((r) => ({key: r.key, value: r.value, offset: r.headers['fa-source-offset'], trace: r.headers.trace}))
    .sort((a, b) => Number(a.offset) - Number(b.offset) || String(a.key).localeCompare(String(b.key)))

it('the Streams app writes the alerts fa writes, byte for byte, and the same dead letters', async () => {
  const summary = await runBoth(config, streamsOut, false)
  const faAlerts = byAlertId(await readToEnd(kafka, [topics.slackMessages]))
  const streamsAlerts = byAlertId(await readToEnd(kafka, [streamsOut.alerts]))
  // The fixture's 3 left (enrich loads the tables first: org-1004 is deleted by then) and the 4 edge ones above.
  expect(faAlerts).toHaveLength(7)
  expect(summary.alerts).toBe(7)
  expect(streamsAlerts).toEqual(faAlerts)

  const faDeadLetters = await deadLetters(topics.deadLetters)
  // The fixture's 4 bad events and the 4 edge ones.
  expect(faDeadLetters).toHaveLength(8)
  expect(summary.deadLetters).toBe(8)
  expect(await deadLetters(streamsOut.deadLetters)).toEqual(faDeadLetters)
}, 120_000)

it('with incidents, the Streams app writes the alerts and updates fa writes, byte for byte', async () => {
  const summary = await runBoth(withIncidents, streamsIncidentsOut, true)
  const faOut = byAlertId(await readToEnd(kafka, [withIncidents.topics.slackMessages]))
  const streamsOutput = byAlertId(await readToEnd(kafka, [streamsIncidentsOut.alerts]))
  const updates = faOut.filter((r) => r.headers['fa-revision'] !== undefined)
  expect(updates.length).toBeGreaterThanOrEqual(3)
  expect(updates.some((r) => String(r.value).includes('Resolved'))).toBe(true)
  expect(summary.updates).toBe(updates.length)
  expect(summary.alerts).toBe(faOut.length - updates.length)
  expect(streamsOutput).toEqual(faOut)
  expect(await deadLetters(streamsIncidentsOut.deadLetters)).toEqual(
    await deadLetters(withIncidents.topics.deadLetters),
  )
}, 120_000)
