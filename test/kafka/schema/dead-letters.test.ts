// Bad bytes on Schema Registry topics are dead letters with their wire bytes untouched; a
// registry outage is not: the run waits, dead-letters nothing, and goes on when it is back.
import {Writable} from 'node:stream'

import {describe, expect, inject, it} from 'vitest'

import {createLogger} from '../../../src/lib/output/log.js'
import {frame} from '../../../src/lib/schema/codec.js'
import {enrichOnce, enrichRun} from '../../support/enrich-once.js'
import {prefixedConfig, readMessagesToEnd, readToEnd, type TestConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'
import {avroSchemas, encoderFor, registryProxy} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

const event = (eventId: string, orgId = 'org-a') => ({
  eventId,
  orgId,
  connectorId: `lcc-${eventId}`,
  oldStatus: 'Provisioning',
  newStatus: 'Failed',
  errorMessage: null,
})

/** Topics, JSON tables with one assigned org, and an Avro encoder for the events. */
async function setUp(cfg: TestConfig): Promise<(value: unknown) => Buffer> {
  await createTopics(kafka, Object.values(cfg.topics), 1)
  await producer.send({
    topic: cfg.topics.slackUsers,
    messages: [{key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})}],
  })
  await producer.send({
    topic: cfg.topics.assignments,
    messages: [{key: 'org-a', value: JSON.stringify({orgId: 'org-a', csdrEmail: 'ann@example.com', csdrName: null})}],
  })
  const {encode} = await encoderFor(registryUrl, `${cfg.topics.notifications}-value`, 'AVRO', avroSchemas.notifications)
  return encode
}

describe('Schema Registry formats: dead letters and outages', () => {
  it('an unknown schema id, a truncated payload, JSON on a topic pinned to avro: dead letters with their bytes', async () => {
    const cfg = prefixedConfig(
      'schema-dead',
      `schemaRegistry:\n  url: ${registryUrl}\nformats:\n  notifications: avro\n`,
    )
    const encode = await setUp(cfg)
    const good = encode(event('e1'))
    const unknown = frame(2_000_000_000, good.subarray(5))
    const truncated = good.subarray(0, good.length - 4)
    const json = Buffer.from(JSON.stringify(event('e4')))
    const values = [good, unknown, truncated, json]
    await producer.send({
      topic: cfg.topics.notifications,
      messages: values.map((value) => ({key: 'org-a', value})),
    })

    const {result} = await enrichOnce(cfg, env)
    expect(result.summary.totals).toMatchObject({alerts: 1, deadLetters: 3})

    const dead = await readMessagesToEnd(kafka, [cfg.topics.deadLetters], 30_000, (p) => `not done: ${p}`)
    const topic = cfg.topics.notifications
    expect(dead.map(({message}) => message.headers!['fa-error']!.toString())).toEqual([
      `${topic}[0]@1: value schema id 2000000000: not found in the Schema Registry`,
      expect.stringMatching(new RegExp(`^${escape(topic)}\\[0\\]@2: value schema id \\d+: does not decode as avro: `)),
      `${topic}[0]@3: value is not in the Schema Registry wire format, but topic ${topic} is pinned to avro`,
    ])
    // The original bytes, untouched.
    expect(dead.map(({message}) => message.value)).toEqual([unknown, truncated, json])
    expect(dead.map(({message}) => message.key!.toString())).toEqual(['org-a', 'org-a', 'org-a'])
  })

  for (const exactlyOnce of [false, true]) {
    it(`a registry outage mid-run: nothing dead-lettered, the run resumes when it is back, nothing lost (${exactlyOnce ? 'exactly-once' : 'at-least-once'})`, async () => {
      const proxy = await registryProxy(registryUrl)
      const cfg = prefixedConfig('schema-outage', `schemaRegistry:\n  url: ${proxy.url}\n  timeoutMs: 2000\n`)
      const encode = await setUp(cfg)
      const logs: string[] = []
      const stream = new Writable({write: (chunk, _encoding, done) => (logs.push(String(chunk)), done())})
      const log = createLogger({level: 'info', format: 'json', stream})
      const controller = new AbortController()
      const {running} = await enrichRun(cfg, env, {follow: true, exactlyOnce, signal: controller.signal, log})
      try {
        await producer.send({topic: cfg.topics.notifications, messages: [{key: 'org-a', value: encode(event('e1'))}]})
        await waitFor(async () => (await readToEnd(kafka, [cfg.topics.slackMessages])).length === 1)

        // A new schema id while the registry is cut off: its records wait.
        proxy.down()
        const v2 = await encoderFor(registryUrl, `${cfg.topics.notifications}-value`, 'AVRO', {
          ...avroSchemas.notifications,
          fields: [...avroSchemas.notifications.fields, {name: 'region', type: ['null', 'string'], default: null}],
        })
        await producer.send({
          topic: cfg.topics.notifications,
          messages: ['e2', 'e3'].map((id) => ({key: 'org-a', value: v2.encode(event(id))})),
        })
        await waitFor(async () => logs.some((l) => l.includes('Schema Registry unavailable')))
        await new Promise((resolve) => setTimeout(resolve, 2_000))
        expect(await readToEnd(kafka, [cfg.topics.slackMessages])).toHaveLength(1)
        expect(await readToEnd(kafka, [cfg.topics.deadLetters])).toHaveLength(0)

        proxy.up()
        await waitFor(async () => (await readToEnd(kafka, [cfg.topics.slackMessages])).length === 3, 60_000)
      } finally {
        controller.abort()
        await running.catch(() => undefined)
        await proxy.close()
      }
      expect(await readToEnd(kafka, [cfg.topics.deadLetters])).toHaveLength(0)
      const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
      expect(new Set(alerts.map((a) => a.key)).size).toBe(3)
    })
  }
})

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
