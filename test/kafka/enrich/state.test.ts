// fa enrich's state against the real broker: incidents carry on across runs (restored from the
// changelog topic), closed incidents leave tombstones, and a state record of a format version
// this fa does not know stops the run with a message naming the topic.
import {Kafka, logLevel, Partitioners, type Message, type Producer} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {runFa} from '../../support/cli.js'
import {prefixedConfig, readToEnd} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-state-test', brokers: [brokers], logLevel: logLevel.NOTHING})
const env = {KAFKA_BROKERS: brokers}
let producer: Producer

beforeAll(async () => {
  producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
})
afterAll(async () => {
  await producer?.disconnect()
})

const t0 = Date.now() - 3_600_000
const json = (value: object) => JSON.stringify(value)
const event = (n: number, minute: number, status = 'Failed'): Message => ({
  key: 'org-1',
  value: json({eventId: `e-${n}`, orgId: 'org-1', connectorId: 'lcc-1', oldStatus: 'Provisioning', newStatus: status}),
  timestamp: String(t0 + minute * 60_000),
})

/** org-1's account team member, jane, and her Slack user. */
async function tables(cfg: ReturnType<typeof prefixedConfig>) {
  await producer.send({
    topic: cfg.topics.assignments,
    messages: [{key: 'org-1', value: json({orgId: 'org-1', csdrEmail: 'jane@example.com'})}],
  })
  await producer.send({
    topic: cfg.topics.slackUsers,
    messages: [{key: 'jane@example.com', value: json({email: 'jane@example.com', slackUserId: 'U1'})}],
  })
}

describe('fa enrich state', () => {
  it('restores open incidents in the next run: updates and the resolution go to the first alert; a closed incident is a tombstone', async () => {
    const cfg = prefixedConfig('enrich-state')
    const created = await runFa(['topics', 'create', '-c', cfg.file], {env})
    expect(created.code, created.stderr).toBe(0)
    await tables(cfg)
    const enrich = async () => {
      const run = await runFa(
        ['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}g`, '--exactly-once', '--json'],
        {
          env,
        },
      )
      expect(run.code, run.stderr).toBe(0)
      return run
    }

    await producer.send({topic: cfg.topics.notifications, messages: [event(1, 0), event(2, 1)]})
    await enrich()
    await producer.send({topic: cfg.topics.notifications, messages: [event(3, 2), event(4, 3, 'Running')]})
    await enrich()

    const alerts = (await readToEnd(kafka, [cfg.topics.slackMessages])).map((r) => JSON.parse(r.value!))
    expect(alerts.map((a) => [a.alertId, a.revision])).toEqual([
      [alerts[0].alertId, undefined],
      [alerts[0].alertId, 1],
      [alerts[0].alertId, 2],
      [alerts[0].alertId, 3],
    ])
    expect(alerts[3].text).toMatch(/^✅ \*Resolved\*/)
    const state = await readToEnd(kafka, [cfg.topics.state])
    const key = JSON.stringify([`${cfg.prefix}g`, 'connector-provisioning-failed/incident', 'lcc-1'])
    const incident = state.filter((r) => r.key === key)
    expect(incident.map((r) => (r.value === null ? null : JSON.parse(r.value).value.revision))).toEqual([0, 1, 2, null])
  })

  it("keeps a group's state to itself: another group on the same topics opens its own incidents", async () => {
    const cfg = prefixedConfig('enrich-state-groups')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    await tables(cfg)
    await producer.send({topic: cfg.topics.notifications, messages: [event(1, 0), event(2, 1)]})
    for (const group of ['a', 'b']) {
      const run = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}${group}`], {
        env,
      })
      expect(run.code, run.stderr).toBe(0)
    }
    const alerts = (await readToEnd(kafka, [cfg.topics.slackMessages])).map((r) => JSON.parse(r.value!))
    // Each group: the alert, then its update; group b's first event is not an update of group a's incident.
    expect(alerts.map((a) => a.revision)).toEqual([undefined, 1, undefined, 1])
    expect(alerts[2].alertId).toBe(alerts[0].alertId)
  })

  it('stops on a state record of a format version it does not know, naming the topic', async () => {
    const cfg = prefixedConfig('enrich-state-version')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    await producer.send({
      topic: cfg.topics.state,
      messages: [{key: '["connector-provisioning-failed/incident","lcc-1"]', value: json({v: 99, value: {}})}],
    })
    await producer.send({topic: cfg.topics.notifications, messages: [event(1, 0)]})
    const run = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}g`], {env})
    expect(run.code).toBe(5)
    expect(run.stderr).toContain(`state topic ${cfg.topics.state}[`)
    expect(run.stderr).toContain('state format version 99 is not one this fa reads')
    expect(await readToEnd(kafka, [cfg.topics.slackMessages])).toEqual([])
  })
})
