// Interop with clients that are not fa's: records kcat produces in the wire format (schema
// registered through the registry's REST API, payloads encoded here with avsc directly) are
// read by fa enrich; what fa replay writes is read back by Apache Avro's Java implementation
// from the bytes kcat consumes, with the writer schema fetched by id.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import avro from 'avsc'
import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {planReplay, produceFixtures} from '../../../src/lib/replay/produce.js'
import {decodeWithJava} from '../../support/avro-java.js'
import {enrichOnce} from '../../support/enrich-once.js'
import {prefixedConfig, readToEnd} from '../../support/fa-process.js'
import {createTopics, fileProducer, kcat, testKafka} from '../../support/kafka-io.js'
import {avroSchemas, register} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-interop-'))

describe('Schema Registry interop', () => {
  it('fa enrich reads Avro records kcat produced', async () => {
    const cfg = prefixedConfig('schema-kcat', `schemaRegistry:\n  url: ${registryUrl}\n`)
    await createTopics(kafka, Object.values(cfg.topics), 1)
    await producer.send({
      topic: cfg.topics.slackUsers,
      messages: [{key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})}],
    })
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: JSON.stringify({orgId: 'org-a', csdrEmail: 'ann@example.com'})}],
    })
    const id = await register(registryUrl, `${cfg.topics.notifications}-value`, 'AVRO', avroSchemas.notifications)
    // avsc's own encoding, unions wrapped by hand as Avro's JSON does: not fa's mapping code.
    const type = avro.Type.forSchema(JSON.parse(JSON.stringify(avroSchemas.notifications)), {wrapUnions: true})
    const dir = tmp()
    const files = ['lcc-k1', 'lcc-k2'].map((connectorId, i) => {
      const fields = Object.fromEntries(avroSchemas.notifications.fields.map((f) => [f.name, null]))
      const value = {
        ...fields,
        eventId: {string: `k${i}`},
        connectorId: {string: connectorId},
        oldStatus: {string: 'Provisioning'},
      }
      const header = Buffer.alloc(5)
      header.writeInt32BE(id, 1)
      const file = path.join(dir, `${i}.bin`)
      writeFileSync(file, Buffer.concat([header, type.toBuffer(value)]))
      return file
    })
    await kcat(brokers, ['-P', '-t', cfg.topics.notifications, '-k', 'org-a', ...files])

    const {result} = await enrichOnce(cfg, env)
    expect(result.summary.totals).toMatchObject({alerts: 2, deadLetters: 0})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    expect(alerts.map((a) => (JSON.parse(a.value!) as {text: string}).text).sort()).toEqual([
      expect.stringContaining('(lcc-k1)'),
      expect.stringContaining('(lcc-k2)'),
    ])
  })

  it("what fa replay writes, Apache Avro's Java library reads from the bytes kcat consumes", async () => {
    const cfg = prefixedConfig('schema-java', `schemaRegistry:\n  url: ${registryUrl}\n`)
    const topic = cfg.topics.notifications
    await createTopics(kafka, [topic], 1)
    const id = await register(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.notifications)
    const file = path.join(tmp(), 'events.jsonl')
    const events = [
      {eventId: 'j1', connectorId: 'lcc-1', errorMessage: 'boom: "quoted" ünïcode'},
      {eventId: 'j2', connectorId: 'lcc-2', errorMessage: null},
    ]
    writeFileSync(file, events.map((value) => JSON.stringify({topic, key: 'org-a', value})).join('\n') + '\n')
    const {config} = await loadConfig(cfg.file, env)
    const plan = await planReplay([file], {})
    await produceFixtures({files: [file], config, routing: {}, plan})

    const lines = await decodeWithJava(brokers, topic, registryUrl)
    expect(lines).toHaveLength(2)
    const decoded = lines.map((line) => {
      const [lineId, ...rest] = line.split(' ')
      expect(Number(lineId)).toBe(id)
      return JSON.parse(rest.join(' ')) as Record<string, unknown>
    })
    expect(decoded[0]).toMatchObject({
      eventId: {string: 'j1'},
      connectorId: {string: 'lcc-1'},
      errorMessage: {string: 'boom: "quoted" ünïcode'},
      orgId: null,
    })
    expect(decoded[1]).toMatchObject({eventId: {string: 'j2'}, errorMessage: null})
  })
})
