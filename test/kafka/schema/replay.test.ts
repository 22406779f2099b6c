// fa replay into Kafka on a Schema Registry topic: each fixture value goes out in the wire
// format of the subject's latest schema; one value that does not fit fails the file, naming
// FILE:LINE and the field, before anything is produced.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {planReplay, produceFixtures} from '../../../src/lib/replay/produce.js'
import {codecFor} from '../../../src/lib/schema/codec.js'
import {prefixedConfig, readMessagesToEnd} from '../../support/fa-process.js'
import {createTopics, recordCount, testKafka} from '../../support/kafka-io.js'
import {avroSchemas, notificationsProto, register} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)

function fixture(lines: object[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-schema-replay-')), 'events.jsonl')
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
  return file
}

async function replay(cfgFile: string, file: string) {
  const {config} = await loadConfig(cfgFile, env)
  const routing = {}
  const plan = await planReplay([file], routing)
  return produceFixtures({files: [file], config, routing, plan})
}

const event = {
  eventId: 'e1',
  orgId: 'org-a',
  connectorId: 'lcc-1',
  oldStatus: 'Provisioning',
  occurredAt: '2026-11-24T10:00:00Z',
}

describe('fa replay into Schema Registry topics', () => {
  for (const [type, schema] of [
    ['AVRO', JSON.stringify(avroSchemas.notifications)],
    ['PROTOBUF', notificationsProto],
  ] as const) {
    it(`encodes each fixture value with the subject's latest ${type} schema`, async () => {
      const cfg = prefixedConfig(`schema-replay-${type.toLowerCase()}`, `schemaRegistry:\n  url: ${registryUrl}\n`)
      const topic = cfg.topics.notifications
      await createTopics(kafka, [topic], 1)
      const id = await register(registryUrl, `${topic}-value`, type, schema)
      const file = fixture([
        {topic, key: 'org-a', value: event},
        {topic, key: 'org-b', value: null},
        {topic, key: 'org-c', value: '{"raw": "text stays as it is"}'},
      ])
      await replay(cfg.file, file)

      const read = await readMessagesToEnd(kafka, [topic], 30_000, (p) => `not done: ${p}`)
      const [encoded, tombstone, raw] = read.map((r) => r.message)
      expect(encoded!.value!.readInt32BE(1)).toBe(id)
      expect(encoded!.value![0]).toBe(0)
      const codec = await codecFor({id, type, schema})
      const decoded = codec.decode(encoded!.value!.subarray(5)) as Record<string, unknown>
      expect(decoded).toMatchObject(event)
      expect(tombstone!.value).toBeNull()
      expect(raw!.value!.toString()).toBe('{"raw": "text stays as it is"}')
    })
  }

  it('a value that does not fit fails the whole file with FILE:LINE and the field; nothing is produced', async () => {
    const cfg = prefixedConfig('schema-replay-bad', `schemaRegistry:\n  url: ${registryUrl}\n`)
    const topic = cfg.topics.notifications
    await createTopics(kafka, [topic], 1)
    await register(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.notifications)
    const file = fixture([
      {topic, key: 'org-a', value: event},
      {topic, key: 'org-a', value: {...event, connectorId: 42}},
    ])
    await expect(replay(cfg.file, file)).rejects.toThrow(
      new RegExp(
        `^events\\.jsonl:2: value for ${topic.replace(/\./g, '\\.')} does not fit the Avro schema at connectorId`,
      ),
    )
    expect(await recordCount(kafka, [topic])).toBe(0)
  })
})
