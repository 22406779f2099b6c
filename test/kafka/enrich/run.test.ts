// runEnrich in-process against the real broker (no CLI): a drain over a small set of records
// gives its alerts and dead letters, and the summary counts them.
import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {runEnrich} from '../../../src/lib/enrich/run.js'
import type {EnrichTuning} from '../../../src/lib/kafka/tuning.js'
import {buildTopology} from '../../../src/lib/alerts/topology.js'
import {prefixedConfig, readToEnd, type TestConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

const json = (value: object) => JSON.stringify(value)
const failed = (eventId: string, orgId: string, extra: object = {}) => ({
  key: orgId,
  value: json({
    eventId,
    orgId,
    connectorId: `lcc-${eventId}`,
    oldStatus: 'Provisioning',
    newStatus: 'Failed',
    ...extra,
  }),
})

async function seed(cfg: TestConfig): Promise<void> {
  await createTopics(kafka, Object.values(cfg.topics), 2)
  const send = (topic: string, messages: Array<{key: string; value: string}>) =>
    producer.send({topic, acks: -1, messages})
  await send(cfg.topics.slackUsers, [
    {key: 'ann@example.com', value: json({email: 'ann@example.com', slackUserId: 'UANN'})},
  ])
  await send(cfg.topics.assignments, [
    {key: 'org-a', value: json({orgId: 'org-a', orgName: 'A Corp', csdrEmail: 'ann@example.com'})},
    {key: 'org-bad', value: json({orgId: 'org-bad', orgName: 'Bad'})},
  ])
  await send(cfg.topics.notifications, [
    failed('e1', 'org-a'),
    failed('e2', 'org-a'),
    {key: 'org-a', value: '{not json'},
    failed('e3', 'org-a', {connectorId: ''}),
  ])
}

/** The tables of one org, org-a, whose account team member Ann has a Slack user. */
async function annOfOrgA(cfg: TestConfig): Promise<void> {
  await producer.send({
    topic: cfg.topics.slackUsers,
    acks: -1,
    messages: [{key: 'ann@example.com', value: json({email: 'ann@example.com', slackUserId: 'UANN'})}],
  })
  await producer.send({
    topic: cfg.topics.assignments,
    acks: -1,
    messages: [{key: 'org-a', value: json({orgId: 'org-a', orgName: 'A Corp', csdrEmail: 'ann@example.com'})}],
  })
}

/** A drain of the test config's topics, in process. */
async function drain(cfg: TestConfig, tuning?: Partial<EnrichTuning>) {
  const loaded = await loadConfig(cfg.file, env)
  return runEnrich({
    config: loaded.config,
    topology: await buildTopology(loaded),
    group: `${cfg.prefix}g`,
    from: 'earliest',
    progress: false,
    env,
    tuning,
  })
}

describe('runEnrich in-process', () => {
  it('drains the source topics: alerts, dead letters and the summary', async () => {
    const cfg = prefixedConfig('enrich-in-process')
    await seed(cfg)
    const result = await drain(cfg)

    expect(result).toMatchObject({stoppedBy: 'end', guarantee: 'at-least-once', lag: {total: 0}})
    expect(result.summary.records).toBe(7)
    expect(result.summary.totals).toMatchObject({alerts: 2, deadLetters: 3})
    expect(result.tables.map((t) => [t.table, t.rows, t.deadLetters]).sort()).toEqual([
      ['assignments', 1, 1],
      ['slack-users', 1, 0],
    ])

    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    expect(alerts.map((a) => (JSON.parse(a.value!) as {channel: string}).channel)).toEqual(['UANN', 'UANN'])
    const deadLetters = await readToEnd(kafka, [cfg.topics.deadLetters])
    expect(deadLetters.map((d) => d.headers['fa-error']).sort()).toEqual([
      'connectorId: must be a non-empty string',
      expect.stringMatching(/^table assignments: csdrEmail/),
      expect.stringMatching(/^value is not valid JSON/),
    ])
  })

  it('writes an alert Kafka would refuse as a dead letter of its source record, with why', async () => {
    const cfg = prefixedConfig('enrich-too-large')
    await createTopics(kafka, Object.values(cfg.topics), 2)
    const long = failed('big', 'org-a', {errorMessage: 'x'.repeat(2_500)})
    await annOfOrgA(cfg)
    await producer.send({topic: cfg.topics.notifications, acks: -1, messages: [failed('small', 'org-a'), long]})
    const result = await drain(cfg, {maxRecordBytes: 3_000})

    expect(result.summary.totals).toMatchObject({alerts: 1, deadLetters: 1})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    expect(alerts.map((a) => a.value === null)).toEqual([false])
    const [letter, ...more] = await readToEnd(kafka, [cfg.topics.deadLetters])
    expect(more).toEqual([])
    expect(letter!.value).toBe(long.value)
    expect(letter!.key).toBe('org-a')
    expect(letter!.headers['fa-error']).toMatch(/too large for Kafka \(\d+ bytes, at most 3000\)/)
    expect(letter!.headers['fa-source-topic']).toBe(cfg.topics.notifications)
  })

  it('an event whose alert is too large opens no incident: the next failure of its connector is the alert', async () => {
    const cfg = prefixedConfig('enrich-too-large-incident')
    await createTopics(kafka, Object.values(cfg.topics), 2)
    const one = {connectorId: 'lcc-same'}
    await annOfOrgA(cfg)
    await producer.send({
      topic: cfg.topics.notifications,
      acks: -1,
      messages: [
        failed('big', 'org-a', {...one, errorMessage: 'x'.repeat(2_500)}),
        failed('first', 'org-a', one),
        failed('again', 'org-a', one),
      ],
    })
    const result = await drain(cfg, {maxRecordBytes: 3_000})

    expect(result.summary.totals).toMatchObject({alerts: 1, deadLetters: 1})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    // The first that fits opens the incident (revision 0, a post); the next updates it.
    expect(alerts.map((a) => [a.headers['fa-revision'] ?? 'post', JSON.parse(a.value!).text])).toEqual([
      ['post', expect.stringContaining('lcc-same')],
      ['1', expect.stringContaining('lcc-same')],
    ])
    expect(new Set(alerts.map((a) => a.key)).size).toBe(1)
  })
})
