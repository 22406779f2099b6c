// fa's own topics in a registry format (`formats:` pins slack-messages and slack-responses to
// Avro): enrich registers fa's schema and writes its alerts in it, Apache Avro's Java library
// reads them, send delivers them and records its responses in Avro, and a second send reads those
// responses back (every alert already delivered). fa tail shows the Avro alerts decoded. A
// registered schema that cannot carry fa's alerts stops enrich before anything is produced; one
// that cannot carry a particular alert makes it a dead letter, counted as one, whose event opens no incident.
import {Chalk} from 'chalk'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {connectAdmin, createKafka} from '../../../src/lib/kafka/client.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {decoderFromConfig} from '../../../src/lib/schema/decoder.js'
import {runSend} from '../../../src/lib/send/run.js'
import {connectSlack} from '../../../src/lib/send/slack.js'
import {tailTopic, type TailRecord} from '../../../src/lib/tail/read.js'
import {renderTailRecord} from '../../../src/lib/tail/render.js'
import {decodeWithJava} from '../../support/avro-java.js'
import {enrichOnce} from '../../support/enrich-once.js'
import {prefixedConfig, readToEnd} from '../../support/fa-process.js'
import {createTopics, onceProducer, testKafka} from '../../support/kafka-io.js'
import {register} from '../../support/registry.js'
import {TOKEN} from '../../support/send.js'
import {startSlackServer, type SlackServer} from '../../support/slack-server.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const kafka = testKafka(brokers)
const producer = kafka.producer(onceProducer)
const tuning = {sessionTimeout: 3_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100}

let slack: SlackServer
beforeAll(async () => {
  await producer.connect()
  slack = await startSlackServer({token: TOKEN})
})
afterAll(async () => {
  await producer.disconnect()
  await slack.close()
})

/** A test config with fa's own topics pinned to Avro (or `formats`); the tables and two failed-provisioning events as JSON. */
async function setUp(what: string, formats = 'slackMessages: avro\n  slackResponses: avro') {
  const cfg = prefixedConfig(
    what,
    [
      `schemaRegistry:\n  url: ${registryUrl}`,
      `formats:\n  ${formats}`,
      `slack:\n  apiUrl: ${slack.url}\n  from: earliest\n  perChannelPerSecond: 50\n  perChannelBurst: 10`,
      '',
    ].join('\n'),
  )
  await createTopics(kafka, Object.values(cfg.topics), 1)
  const send = (topic: string, key: string, value: object) =>
    producer.send({topic, acks: -1, messages: [{key, value: JSON.stringify(value)}]})
  await send(cfg.topics.slackUsers, 'ann@example.com', {email: 'ann@example.com', slackUserId: 'UANN'})
  await send(cfg.topics.assignments, 'org-a', {orgId: 'org-a', csdrEmail: 'ann@example.com'})
  for (const id of ['1', '2'])
    await send(cfg.topics.notifications, 'org-a', {
      eventId: `o${id}`,
      connectorId: `lcc-o${id}`,
      oldStatus: 'Provisioning',
    })
  const env = {KAFKA_BROKERS: brokers, SLACK_BOT_TOKEN: TOKEN}
  return {cfg, env, loaded: await loadConfig(cfg.file, env)}
}

describe("fa's own topics in Avro", () => {
  it('enrich writes alerts in Avro (Java reads them), send delivers them and reads its Avro responses back', async () => {
    const {cfg, env, loaded} = await setUp('own-avro')
    const {result} = await enrichOnce(cfg, env)
    expect(result.summary.totals).toMatchObject({alerts: 2, deadLetters: 0})

    const subject = await fetch(`${registryUrl}/subjects/${cfg.topics.slackMessages}-value/versions/latest`)
    expect(subject.status).toBe(200)
    const raw = await readToEnd(kafka, [cfg.topics.slackMessages])
    expect(raw).toHaveLength(2)
    const java = (await decodeWithJava(brokers, cfg.topics.slackMessages, registryUrl)).map(
      (line) => JSON.parse(line.slice(line.indexOf(' ') + 1)) as Record<string, unknown>,
    )
    expect(java.map((a) => a.alertId).sort()).toEqual(raw.map((a) => a.key).sort())
    expect(java[0]).toMatchObject({
      channel: 'UANN',
      text: expect.stringContaining('lcc-o'),
      blocks: expect.arrayContaining([expect.objectContaining({type: 'header'})]),
      metadata: {event_type: 'fa_alert'},
      revision: null,
    })

    const {config} = loaded
    const deliver = async () => {
      const connection = await connectSlack(config, {env})
      return runSend({config, env, tuning, group: `${cfg.prefix}send`, createDeliverer: connection.createDeliverer})
    }
    const first = await deliver()
    expect(first.error).toBeUndefined()
    expect(first.counts).toMatchObject({read: 2, delivered: 2, invalid: 0})
    const responses = await readToEnd(kafka, [cfg.topics.slackResponses])
    expect(responses).toHaveLength(2)
    expect(
      (await decodeWithJava(brokers, cfg.topics.slackResponses, registryUrl)).map(
        (line) => JSON.parse(line.slice(line.indexOf(' ') + 1)) as {ok: boolean},
      ),
    ).toEqual([expect.objectContaining({ok: true}), expect.objectContaining({ok: true})])

    // A new group reads every alert again: the Avro responses say each was delivered.
    const connection = await connectSlack(config, {env})
    const second = await runSend({
      config,
      env,
      tuning,
      group: `${cfg.prefix}send-again`,
      createDeliverer: connection.createDeliverer,
    })
    expect(second.counts).toMatchObject({read: 2, delivered: 0, skipped: 2})
    for (const alert of raw) expect(slack.postsFor(alert.key!)).toHaveLength(1)

    // fa tail shows them decoded.
    const tailKafka = await createKafka(config, {env})
    const admin = await connectAdmin(tailKafka, config)
    const read: TailRecord[] = []
    try {
      await tailTopic({
        kafka: tailKafka,
        admin,
        topic: cfg.topics.slackMessages,
        start: {last: 10},
        follow: false,
        signal: new AbortController().signal,
        decoder: decoderFromConfig(config, (role) => config.topics[role] ?? role, silentLogger, env),
        onRecords: (records) => void read.push(...records),
      })
    } finally {
      await admin.disconnect()
    }
    expect(read).toHaveLength(2)
    const shown = read.map((r) => renderTailRecord('alerts', r.record, new Chalk({level: 0}), r.undecodable))
    expect(shown.join('')).toContain('lcc-o1')
    expect(shown.join('')).not.toContain('not a Slack message')
  })

  it('exactly-once: the alerts are written in Avro inside the transactions', async () => {
    const {cfg, env} = await setUp('own-avro-eos')
    const {result} = await enrichOnce(cfg, env, {exactlyOnce: true})
    expect(result.summary.totals).toMatchObject({alerts: 2, deadLetters: 0})
    const java = await decodeWithJava(brokers, cfg.topics.slackMessages, registryUrl)
    expect(java.map((line) => (JSON.parse(line.slice(line.indexOf(' ') + 1)) as {channel: string}).channel)).toEqual([
      'UANN',
      'UANN',
    ])
  })

  it('a registered schema that cannot carry the alerts stops enrich before anything is produced', async () => {
    const {cfg, env} = await setUp('own-misfit')
    await register(registryUrl, `${cfg.topics.slackMessages}-value`, 'AVRO', {
      type: 'record',
      name: 'Other',
      fields: [{name: 'count', type: 'int'}],
    })
    const error = await enrichOnce(cfg, env).catch((e: unknown) => e as Error)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(
      new RegExp(`subject ${cfg.topics.slackMessages}-value's latest schema .* cannot carry the values fa writes`),
    )
    expect(await readToEnd(kafka, [cfg.topics.slackMessages, cfg.topics.deadLetters])).toHaveLength(0)
  })

  it('an alert its topic schema cannot carry is a dead letter with the reason, counted as one and not as an alert', async () => {
    const {cfg, env} = await setUp('own-one-misfit', 'slackMessages: json-schema')
    // Carries every alert but one whose text is too long: the sample fa checks at start fits.
    await register(registryUrl, `${cfg.topics.slackMessages}-value`, 'JSON', {
      type: 'object',
      properties: {text: {type: 'string', maxLength: 200}},
    })
    const long = `lcc-${'x'.repeat(300)}`
    await producer.send({
      topic: cfg.topics.notifications,
      acks: -1,
      messages: [{key: 'org-a', value: JSON.stringify({eventId: 'o3', connectorId: long, oldStatus: 'Provisioning'})}],
    })
    const {result} = await enrichOnce(cfg, env)
    expect(result.summary.totals).toMatchObject({alerts: 2, deadLetters: 1})
    const [deadLetter, ...more] = await readToEnd(kafka, [cfg.topics.deadLetters])
    expect(more).toHaveLength(0)
    expect(deadLetter!.headers['fa-error']).toMatch(/does not fit its schema/)
    expect(String(deadLetter!.value)).toContain(long)
    expect(await readToEnd(kafka, [cfg.topics.slackMessages])).toHaveLength(2)
  })

  it('an event whose alert its topic schema cannot carry opens no incident: the next failure of its connector posts', async () => {
    const {cfg, env} = await setUp('own-misfit-incident', 'slackMessages: json-schema')
    await register(registryUrl, `${cfg.topics.slackMessages}-value`, 'JSON', {
      type: 'object',
      properties: {text: {type: 'string', maxLength: 200}},
    })
    const event = (eventId: string, connectorName: string) => ({
      key: 'org-a',
      value: JSON.stringify({eventId, connectorId: 'lcc-same', connectorName, oldStatus: 'Provisioning'}),
    })
    await producer.send({
      topic: cfg.topics.notifications,
      acks: -1,
      messages: [event('o3', 'x'.repeat(300)), event('o4', 'short')],
    })
    const {result} = await enrichOnce(cfg, env)
    expect(result.summary.totals).toMatchObject({alerts: 3, deadLetters: 1})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    // Three posts (revision 0): o4's is its incident's first alert, not an update of o3's that was never written.
    expect(alerts.map((a) => a.headers['fa-revision'])).toEqual([undefined, undefined, undefined])
  })
})
