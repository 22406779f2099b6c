// fa produce with a declared schema: registered under `<topic>-value` on first use, events
// written in its wire format; a schema the registry refuses as incompatible stops the run
// before anything is produced, with the registry's message.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import onboarding from '../../../src/lib/produce/onboarding.js'
import {defineProducer} from '../../../src/lib/produce/producer.js'
import {runProduce} from '../../../src/lib/produce/run.js'
import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {codecFor} from '../../../src/lib/schema/codec.js'
import {decoderFromConfig} from '../../../src/lib/schema/decoder.js'
import {startBigQueryServer, type BigQueryServer} from '../../support/bigquery-server.js'
import {prefixedConfig, readMessagesToEnd} from '../../support/fa-process.js'
import {createTopics, recordCount, testKafka} from '../../support/kafka-io.js'
import {onboardingSchema, onboardingStarts} from '../../support/onboarding-rows.js'
import {decodeWithJava} from '../../support/avro-java.js'
import {register} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const kafka = testKafka(brokers)

let bigquery: BigQueryServer
beforeAll(async () => {
  bigquery = await startBigQueryServer({
    handler: () => ({schema: onboardingSchema, rows: onboardingStarts(), bytesProcessed: 1000}),
  })
  // In this process, the Google auth library reads its credentials from process.env (this test file's own fork).
  Object.assign(process.env, bigquery.env)
  delete process.env.BIGQUERY_EMULATOR_HOST
})
afterAll(() => bigquery?.close())

const optional = (name: string) => ({name, type: ['null', 'string'], default: null})
const eventSchema = {
  type: 'record',
  name: 'OnboardingStarted',
  namespace: 'io.fa.test',
  fields: [
    {name: 'eventId', type: 'string'},
    {name: 'eventType', type: 'string'},
    {name: 'orgId', type: 'string'},
    ...['orgName', 'plan', 'region', 'startedAt'].map(optional),
  ],
}

async function produce(name: string, schema: object, extra = '') {
  const cfg = prefixedConfig(
    name,
    `schemaRegistry:\n  url: ${registryUrl}\nbigquery:\n  projectId: ${bigquery.projectId}\n  apiEndpoint: ${bigquery.endpoint}\n` +
      extra,
  )
  await createTopics(kafka, [cfg.topics.onboarding, cfg.topics.deadLetters, cfg.topics.checkpoints], 1)
  const env = {...process.env, ...bigquery.env, KAFKA_BROKERS: brokers, FA_LOCK_DIR: `${cfg.file}.locks`}
  const {config} = await loadConfig(cfg.file, env)
  const producer = defineProducer({...onboarding, schema: {type: 'avro', schema}})
  const run = () => runProduce({producer, config, since: '2024-05-01T00:00:00Z', until: '2024-05-02T00:00:00Z', env})
  return {cfg, run}
}

describe('fa produce with a declared schema', () => {
  it('registers it under <topic>-value and writes every event in its wire format', async () => {
    const {cfg, run} = await produce('schema-produce', eventSchema)
    const summary = await run()
    expect(summary).toMatchObject({events: 7, deadLetters: 0})

    const latest = (await (
      await fetch(`${registryUrl}/subjects/${cfg.topics.onboarding}-value/versions/latest`)
    ).json()) as {
      id: number
      schema: string
    }
    const codec = await codecFor({id: latest.id, type: 'AVRO', schema: latest.schema})
    const read = await readMessagesToEnd(kafka, [cfg.topics.onboarding], 30_000, (p) => `not done: ${p}`)
    expect(read).toHaveLength(7)
    for (const {message} of read) expect(message.value!.readInt32BE(1)).toBe(latest.id)
    expect(codec.decode(read[0]!.message.value!.subarray(5))).toMatchObject({
      eventType: 'onboarding_started',
      orgId: 'org-1',
      orgName: 'Org 1',
      startedAt: '2024-05-01T10:00:00.000Z',
    })
    // An outside decoder reads them too: Apache Avro's Java library on the bytes kcat consumes.
    const java = await decodeWithJava(brokers, cfg.topics.onboarding, registryUrl)
    expect(java).toHaveLength(7)
    expect(java[0]).toMatch(
      new RegExp(
        `^${latest.id} \\{"eventId":"onboarding-[0-9a-f]{32}","eventType":"onboarding_started","orgId":"org-1","orgName":\\{"string":"Org 1"\\}`,
      ),
    )
  })

  it('with the key format pinned, registers a string schema under <topic>-key and writes every key in it', async () => {
    const {cfg, run} = await produce('schema-produce-keys', eventSchema, 'formats:\n  onboarding: {key: avro}\n')
    expect(await run()).toMatchObject({events: 7, deadLetters: 0})
    const latest = (await (
      await fetch(`${registryUrl}/subjects/${cfg.topics.onboarding}-key/versions/latest`)
    ).json()) as {id: number; schema: string}
    expect(JSON.parse(latest.schema)).toBe('string')
    const codec = await codecFor({id: latest.id, type: 'AVRO', schema: latest.schema})
    const read = await readMessagesToEnd(kafka, [cfg.topics.onboarding], 30_000, (p) => `not done: ${p}`)
    const keys = read.map(({message}) => {
      expect(message.key!.readInt32BE(1)).toBe(latest.id)
      return codec.decode(message.key!.subarray(5))
    })
    expect(keys).toContain('org-1')
    // Read back through fa's decoder (as enrich reads): the key is the string again.
    const {config} = await loadConfig(cfg.file, {KAFKA_BROKERS: brokers})
    const decoder = decoderFromConfig(config, (role) => config.topics[role] ?? role, silentLogger)!
    const messages = read.map((r) => r.message)
    await decoder.prepare(cfg.topics.onboarding, messages)
    const decoded = decoder.decode(fromKafka(cfg.topics.onboarding, 0, messages[0]!), messages[0]!)
    expect(decoded).toMatchObject({ok: true, record: {key: keys[0]}})
  })

  it('a schema the registry refuses as incompatible stops the run with its message; nothing is produced', async () => {
    const {cfg, run} = await produce('schema-produce-refused', {
      ...eventSchema,
      fields: [...eventSchema.fields, {name: 'mandatory', type: 'string'}], // no default: not BACKWARD compatible
    })
    const subject = `${cfg.topics.onboarding}-value`
    await register(registryUrl, subject, 'AVRO', eventSchema)
    const config = await fetch(`${registryUrl}/config/${encodeURIComponent(subject)}`, {
      method: 'PUT',
      headers: {'content-type': 'application/json'},
      body: JSON.stringify({compatibility: 'BACKWARD'}),
    })
    expect(config.ok).toBe(true)
    await expect(run()).rejects.toThrow(
      new RegExp(
        `the Schema Registry refused producer "onboarding"'s schema for ${subject.replace(/\./g, '\\.')}: .*Incompatible`,
      ),
    )
    expect(await recordCount(kafka, [cfg.topics.onboarding])).toBe(0)
  })
})
