// The seed chain end to end on Schema Registry topics: the fixture's records written as Avro
// (events, both tables, Avro keys on the tables) or Protobuf (events), read by runEnrich
// against the real broker and registry, give the same alerts and dead letters as the same
// records as JSON through the core.
import {readFileSync} from 'node:fs'

import {type Message} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import type {Topology} from '../../../src/lib/pipeline/topology.js'
import {parseEnvelopeLine} from '../../../src/lib/records/envelope.js'
import type {TopicRecord} from '../../../src/lib/records/record.js'
import {enrichOnce} from '../../support/enrich-once.js'
import {prefixedConfig, readToEnd, type TestConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'
import {avroSchemas, encoderFor, notificationsProto} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

const FIXTURE = 'fixtures/provisioning.jsonl'
const logical: Record<string, 'notifications' | 'assignments' | 'slackUsers'> = {
  'data-notifications-pipeline': 'notifications',
  'data-csdr-assignment': 'assignments',
  'data-slack-users': 'slackUsers',
}

function fixtureRecords(): TopicRecord[] {
  let previous: string | undefined
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      const parsed = parseEnvelopeLine(line, {kind: 'fixture', file: FIXTURE, line: i + 1})
      if (!parsed.ok) throw new Error(parsed.reason)
      // A line without a timestamp has the previous line's, as fa reads fixtures.
      parsed.record.timestamp ??= previous
      previous = parsed.record.timestamp
      return parsed.record
    })
}

type Encode = (value: unknown) => Buffer
type Encoders = Partial<Record<'notifications' | 'assignments' | 'slackUsers', {value: Encode; key?: Encode}>>

/** Writes the fixture to the test's topics: object values through their topic's encoder, the rest as they are. */
async function produceFixture(cfg: TestConfig, encoders: Encoders): Promise<void> {
  const byTopic = new Map<string, Message[]>()
  for (const record of fixtureRecords()) {
    const role = logical[record.topic]!
    const encoder = encoders[role]
    const {value} = record
    // A JSON object in the topic's format; an array (no Avro record or Protobuf message) and raw text stay as they are.
    const objectValue =
      value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
    const message: Message = {
      key: record.key === null ? null : (encoder?.key?.(record.key) ?? record.key),
      value:
        value === null
          ? null
          : objectValue && encoder
            ? encoder.value(value)
            : typeof value === 'string'
              ? value
              : JSON.stringify(value),
      headers: record.headers,
      timestamp: String(Date.parse(record.timestamp!)),
    }
    const topic = cfg.topics[role]
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), message])
  }
  // Tables first: enrich loads them to their end before it reads an event.
  for (const role of ['slackUsers', 'assignments', 'notifications'] as const) {
    await producer.send({topic: cfg.topics[role], acks: -1, messages: byTopic.get(cfg.topics[role]) ?? []})
  }
}

/**
 * What the core makes of the fixture as JSON, with the tables loaded first (as enrich does): each
 * alert as its last revision (an incident's updates replace it, as they do in Slack).
 */
function jsonReference(topology: Topology): {alerts: Map<string, unknown>; errors: string[]} {
  const tables = new TableStore()
  const state = new MemoryStateStore()
  const records = fixtureRecords().map((r) => ({...r, topic: topology.topic(logical[r.topic]!)}))
  const alerts = new Map<string, unknown>()
  const errors: string[] = []
  for (const record of [
    ...records.filter((r) => topology.isTableTopic(r.topic)),
    ...records.filter((r) => !topology.isTableTopic(r.topic)),
  ]) {
    for (const outcome of topology.process(record, tables, state)) {
      if (outcome.kind === 'alert' || outcome.kind === 'update') alerts.set(outcome.alertId, outcome.output.value)
      if (outcome.kind === 'dead-letter') errors.push(outcome.reason)
    }
  }
  return {alerts, errors: errors.sort()}
}

async function enrichAndCompare(cfg: TestConfig): Promise<Map<string, {channel: string; text: string}>> {
  const {result, topology} = await enrichOnce(cfg, env)
  expect(result.stoppedBy).toBe('end')

  const reference = jsonReference(topology)
  const alerts = new Map(
    (await readToEnd(kafka, [cfg.topics.slackMessages])).map((a) => [
      a.key!,
      JSON.parse(a.value!) as {channel: string; text: string},
    ]),
  )
  expect(alerts.size).toBeGreaterThan(0)
  expect(alerts).toEqual(reference.alerts)
  const deadLetters = await readToEnd(kafka, [cfg.topics.deadLetters])
  // A required field that an Avro record carries as null is reported as null, not missing.
  const errors = deadLetters.map((d) => d.headers['fa-error']!.replace('received null', 'received undefined'))
  expect(errors.sort()).toEqual(reference.errors)
  return alerts
}

describe('the seed chain on Schema Registry topics', () => {
  it('Avro events and tables (Avro keys on the tables): the same alerts as the JSON records; a tombstone deletes', async () => {
    const cfg = prefixedConfig('schema-avro', `schemaRegistry:\n  url: ${registryUrl}\n`)
    await createTopics(kafka, Object.values(cfg.topics), 2)
    const encoders: Encoders = {}
    for (const role of ['notifications', 'assignments', 'slackUsers'] as const) {
      const value = await encoderFor(registryUrl, `${cfg.topics[role]}-value`, 'AVRO', avroSchemas[role])
      const key =
        role === 'notifications'
          ? undefined
          : await encoderFor(registryUrl, `${cfg.topics[role]}-key`, 'AVRO', avroSchemas.key)
      encoders[role] = {value: value.encode, key: key?.encode}
    }
    await produceFixture(cfg, encoders)

    const alerts = await enrichAndCompare(cfg)
    // org-1004's assignment was deleted by a tombstone (with an Avro key): its events find no one.
    expect([...alerts.values()].some((a) => a.text.includes('org-1004'))).toBe(false)
    expect([...alerts.values()].some((a) => a.text.includes('org-1001'))).toBe(true)
  })

  it('Protobuf events (Avro tables): the same alerts as the JSON records', async () => {
    const cfg = prefixedConfig('schema-proto', `schemaRegistry:\n  url: ${registryUrl}\n`)
    await createTopics(kafka, Object.values(cfg.topics), 2)
    const notifications = await encoderFor(
      registryUrl,
      `${cfg.topics.notifications}-value`,
      'PROTOBUF',
      notificationsProto,
    )
    const encoders: Encoders = {notifications: {value: notifications.encode}}
    for (const role of ['assignments', 'slackUsers'] as const) {
      encoders[role] = {
        value: (await encoderFor(registryUrl, `${cfg.topics[role]}-value`, 'AVRO', avroSchemas[role])).encode,
      }
    }
    await produceFixture(cfg, encoders)
    await enrichAndCompare(cfg)
  })
})
