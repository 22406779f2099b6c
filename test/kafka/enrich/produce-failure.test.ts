// A produce request the broker refuses: the partitions it carried are read again, so every event
// still gets its alert and the run ends with nothing left to read. At-least-once, batches do not
// wait for their outputs (some alerts come twice), state changelog writes included; exactly-once,
// the transaction is aborted and its partitions rewound, repartition topics that have nothing
// committed yet included.
import type {KafkaMessage} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {loadConfig} from '../../../src/lib/config/load.js'
import {repartitionMessage} from '../../../src/lib/enrich/repartition.js'
import type {EnrichOptions} from '../../../src/lib/enrich/options.js'
import {repartitionTopic} from '../../../src/lib/kafka/repartition-topics.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {Header} from '../../../src/lib/records/headers.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {prefixedConfig, readToEnd, type ReadRecord, type TestConfig} from '../../support/fa-process.js'
import {enrichRun} from '../../support/enrich-once.js'
import {failingOnce} from '../../support/produce-faults.js'
import {createTopics, fileProducer, testKafka, withAdmin} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)
const EVENTS = 400

/** Ann is assigned three orgs; EVENTS connector failures among them, each of its own connector. */
async function seed(cfg: TestConfig): Promise<void> {
  await createTopics(kafka, Object.values(cfg.topics), 2)
  await producer.send({
    topic: cfg.topics.slackUsers,
    acks: -1,
    messages: [{key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})}],
  })
  const orgs = ['org-a', 'org-b', 'org-c']
  await producer.send({
    topic: cfg.topics.assignments,
    acks: -1,
    messages: orgs.map((orgId) => ({
      key: orgId,
      value: JSON.stringify({orgId, orgName: orgId, csdrEmail: 'ann@example.com'}),
    })),
  })
  const event = (i: number) => ({
    key: orgs[i % orgs.length],
    value: JSON.stringify({
      eventId: `e${i}`,
      orgId: orgs[i % orgs.length],
      connectorId: `lcc-${i}`,
      oldStatus: 'Provisioning',
      newStatus: 'Failed',
      padding: 'x'.repeat(300),
    }),
  })
  // Many small record batches: the broker hands out whole ones, so the consumer's batches are small too.
  for (let i = 0; i < EVENTS; i += 10)
    await producer.send({
      topic: cfg.topics.notifications,
      acks: -1,
      messages: Array.from({length: 10}, (_, j) => event(i + j)),
    })
}

/** The built-in connector-provisioning-failed, with its incidents or without (one alert per event). */
async function provisioning(cfg: TestConfig, incidents = true): Promise<Topology> {
  const loaded = await loadConfig(cfg.file, env)
  const alerts = builtInAlerts
    .filter((a) => a.name === 'connector-provisioning-failed')
    .map((a) => (incidents ? a : {...a, incidents: undefined, stateful: false}))
  return new Topology(alerts, loaded.config.topics, buildSlackMessage)
}

/** One cron run of `topology` over `cfg`, in small batches: many in flight when a produce fails. */
const enrichOnce = async (cfg: TestConfig, topology: Topology, more: Partial<EnrichOptions> = {}) =>
  (await enrichRun(cfg, env, {topology, tuning: {maxBytesPerPartition: 4_096, maxWaitTimeInMs: 100}, ...more})).running

const sourcesOf = (alerts: ReadRecord[]) =>
  new Set(alerts.map((a) => `${a.headers[Header.sourcePartition]}@${a.headers[Header.sourceOffset]}`))

describe('enrich, a failed produce', () => {
  it('at-least-once: rewinds the partitions it carried, no alert is lost and the group ends at the end offsets', async () => {
    const cfg = prefixedConfig('produce-failure')
    await seed(cfg)
    // One alert per event and no state: the batches that do not wait for their outputs.
    const topology = await provisioning(cfg, false)

    const {value: result, failed} = await failingOnce(cfg.topics.slackMessages, 3, () => enrichOnce(cfg, topology))

    expect(failed).toBe(1)
    expect(result).toMatchObject({stoppedBy: 'end', lag: {total: 0}})
    expect(sourcesOf(await readToEnd(kafka, [cfg.topics.slackMessages])).size).toBe(EVENTS)
  })

  it('at-least-once with incidents run where read: a failed state write is read again, no alert is lost', async () => {
    const cfg = prefixedConfig('state-failure')
    await seed(cfg)
    const topology = await provisioning(cfg)

    const {value: result, failed} = await failingOnce(cfg.topics.state, 3, () => enrichOnce(cfg, topology))

    expect(failed).toBe(1)
    expect(result).toMatchObject({stoppedBy: 'end', lag: {total: 0}})
    expect(sourcesOf(await readToEnd(kafka, [cfg.topics.slackMessages])).size).toBe(EVENTS)
    // The only member: nothing went through the repartition topic.
    const ends = await withAdmin(kafka, (admin) =>
      admin.fetchTopicOffsets(repartitionTopic(`${cfg.prefix}g`, 'connector-provisioning-failed')),
    )
    expect(ends.map((p) => Number(p.high))).toEqual([0, 0])
  })

  it('exactly-once with incidents: the first transaction of stage two fails, and every alert is still written once', async () => {
    const cfg = prefixedConfig('txn-failure')
    await seed(cfg)
    // Incidents per connector, events keyed by org: stage two reads a repartition topic that has
    // no committed offset until its first transaction commits, the one that fails.
    const topology = await provisioning(cfg)
    expect(topology.alertTypes[0]?.incidents).toBeDefined()
    // Records an earlier generation handed on and nobody processed yet, one in each partition:
    // every key keeps the trip through the repartition topic, even for the only member.
    const repartition = repartitionTopic(`${cfg.prefix}g`, 'connector-provisioning-failed')
    await createTopics(kafka, [repartition], 2)
    const handedBefore = [0, 1].map((partition) => {
      const connectorId = `lcc-before-${partition}`
      const value = JSON.stringify({eventId: connectorId, orgId: 'org-a', connectorId, oldStatus: 'Provisioning'})
      const read = {
        key: Buffer.from('org-a'),
        value: Buffer.from(value),
        headers: {},
        offset: '9999',
        timestamp: String(Date.now()),
        attributes: 0,
      } as KafkaMessage
      return {...repartitionMessage(read, partition, connectorId), partition}
    })
    await producer.send({topic: repartition, acks: -1, messages: handedBefore})

    const {value: result, failed} = await failingOnce(
      cfg.topics.slackMessages,
      1,
      () => enrichOnce(cfg, topology, {exactlyOnce: true, instance: 'txn-failure'}),
      {transactional: true},
    )

    expect(failed).toBe(1)
    expect(result).toMatchObject({stoppedBy: 'end', lag: {total: 0}})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    expect(sourcesOf(alerts).size).toBe(EVENTS + 2)
    expect(alerts).toHaveLength(EVENTS + 2)
    const handedOn = await withAdmin(kafka, (admin) => admin.fetchTopicOffsets(repartition))
    expect(handedOn.reduce((n, p) => n + Number(p.high), 0)).toBeGreaterThan(EVENTS)
  })
})
