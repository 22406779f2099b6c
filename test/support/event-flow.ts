// A steady flow of alerting events into a test config's topics, for tests that kill, restart or
// rescale `fa enrich` while events arrive, and the check that every event gave its alert.
import {Partitioners, type Kafka, type Producer} from 'kafkajs'
import {expect} from 'vitest'

import {runFa} from './cli.js'
import {prefixedConfig, type ReadRecord, type TestConfig} from './fa-process.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A config of its own with its topics created, a connected producer, and the tables below seeded. */
export async function prepareFlow(
  kafka: Kafka,
  what: string,
  options: {env: NodeJS.ProcessEnv; orgs: number; config?: string},
): Promise<{cfg: TestConfig; group: string; producer: Producer}> {
  const cfg = prefixedConfig(what, options.config)
  const created = await runFa(['topics', 'create', '-c', cfg.file], {env: options.env})
  if (created.code !== 0) throw new Error(`fa topics create failed: ${created.stderr}`)
  // Idempotent: a retried send (say, while a new topic's leader settles) must not add events twice.
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  await seedTables(producer, cfg, options.orgs)
  return {cfg, group: `${cfg.prefix}g`, producer}
}

/** Ten Slack users (UCSDR0…UCSDR9, shaped as Slack ids) and `orgs` assignments (org-i to csdr{i % 10}), so every event below alerts. */
async function seedTables(producer: Producer, cfg: TestConfig, orgs: number): Promise<void> {
  await producer.send({
    topic: cfg.topics.slackUsers,
    acks: -1,
    messages: Array.from({length: 10}, (_, i) => ({
      key: `csdr${i}@example.com`,
      value: JSON.stringify({email: `csdr${i}@example.com`, slackUserId: `UCSDR${i}`}),
    })),
  })
  await producer.send({
    topic: cfg.topics.assignments,
    acks: -1,
    messages: Array.from({length: orgs}, (_, i) => ({
      key: `org-${i}`,
      value: JSON.stringify({orgId: `org-${i}`, orgName: `Org ${i}`, csdrEmail: `csdr${i % 10}@example.com`}),
    })),
  })
}

/**
 * Produces `events` provisioning failures, `perTick` every 100 ms; resolves when all are sent.
 * Each event is its own connector's (an incident of its own), or with `connectors` one of that
 * many, in turn (repeats: one incident each, updated by the rest), each connector in one org.
 * Keyed by org (one connector's events on one partition), or with `spread` unkeyed, on
 * partitions 0 to spread - 1 in turn (one connector's events on several).
 */
export async function flowEvents(
  producer: Producer,
  cfg: TestConfig,
  options: {events: number; perTick: number; orgs: number; connectors?: number; spread?: number},
): Promise<void> {
  for (let sent = 0; sent < options.events;) {
    const messages = Array.from({length: Math.min(options.perTick, options.events - sent)}, () => {
      const n = sent++
      const connector = options.connectors ? n % options.connectors : n
      const orgId = `org-${connector % options.orgs}`
      return {
        ...(options.spread ? {key: null, partition: n % options.spread} : {key: orgId}),
        value: JSON.stringify({
          eventId: `evt-${n}`,
          orgId,
          connectorId: `lcc-${connector}`,
          oldStatus: 'Provisioning',
          newStatus: 'Failed',
        }),
      }
    })
    await producer.send({topic: cfg.topics.notifications, acks: -1, messages})
    await sleep(100)
  }
}

/** How many alerts each source record (partition@offset) gave. */
export function alertsPerSource(alerts: ReadRecord[]): Map<string, number> {
  const bySource = new Map<string, number>()
  for (const alert of alerts) {
    const source = `${alert.headers['fa-source-partition']}@${alert.headers['fa-source-offset']}`
    bySource.set(source, (bySource.get(source) ?? 0) + 1)
  }
  return bySource
}

/**
 * Checks what `flowEvents` with `connectors` gave: one incident per connector (all its events
 * within a day), opened once, and every revision of it written once, none missing, in order.
 */
export function expectEveryRevisionOnce(alerts: ReadRecord[], events: number, connectors: number): void {
  const revisions = new Map<string, number[]>()
  for (const alert of alerts) {
    const {alertId, revision} = JSON.parse(alert.value!) as {alertId: string; revision?: number}
    revisions.set(alertId, [...(revisions.get(alertId) ?? []), revision ?? 0])
  }
  expect(revisions.size).toBe(connectors)
  const each = Array.from({length: events / connectors}, (_, i) => i)
  for (const [alertId, seen] of revisions) expect(seen, alertId).toEqual(each)
}
