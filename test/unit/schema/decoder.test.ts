// RecordDecoder: what is decoded, what passes as before, what is a dead letter, and that a
// registry outage is waited out (a fake registry: no network).
import type {KafkaMessage} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {codecFor, frame} from '../../../src/lib/schema/codec.js'
import {Unrecoverable} from '../../../src/lib/errors.js'
import {RecordDecoder} from '../../../src/lib/schema/decoder.js'
import {
  RegistryRefused,
  RegistryUnavailable,
  type RegistryClient,
  type RegisteredSchema,
} from '../../../src/lib/schema/registry.js'

const avroSchema = JSON.stringify({
  type: 'record',
  name: 'E',
  fields: [{name: 'connectorId', type: ['null', 'string']}],
})
const protoSchema = 'syntax = "proto3"; message E { string connector_id = 1; }'
const schemas: Record<number, RegisteredSchema> = {
  1: {id: 1, type: 'AVRO', schema: avroSchema},
  2: {id: 2, type: 'PROTOBUF', schema: protoSchema},
  3: {id: 3, type: 'AVRO', schema: JSON.stringify({type: 'string'})},
}

/** A registry that knows `schemas`, fails `failures` times first, and counts its calls. */
function fakeRegistry(failures = 0): RegistryClient & {calls: number} {
  const fake = {
    calls: 0,
    async schemaById(id: number) {
      fake.calls++
      if (failures-- > 0) throw new RegistryUnavailable('down')
      const schema = schemas[id]
      if (!schema) throw new RegistryRefused(`Schema ${id} not found`, 404, 40403)
      return schema
    },
  }
  return fake as unknown as RegistryClient & {calls: number}
}

const message = (value: Buffer | null, key: Buffer | null = Buffer.from('org-a'), offset = '7'): KafkaMessage =>
  ({key, value, offset, timestamp: '0', headers: {}, attributes: 0}) as KafkaMessage

async function decode(decoder: RecordDecoder, msg: KafkaMessage) {
  await decoder.prepare('events', [msg])
  return decoder.decode(fromKafka('events', 0, msg), msg)
}

const avro = async (value: unknown) => frame(1, (await codecFor(schemas[1]!)).encode(value))

describe('RecordDecoder', () => {
  it('decodes framed values (and keys) to plain JSON, keeping the wire bytes; plain JSON passes as before', async () => {
    const decoder = new RecordDecoder(fakeRegistry(), new Map(), silentLogger)
    const value = await avro({connectorId: 'lcc-1'})
    const key = frame(3, (await codecFor(schemas[3]!)).encode('org-k'))
    const decoded = await decode(decoder, message(value, key))
    expect(decoded).toMatchObject({ok: true, record: {key: 'org-k', value: {connectorId: 'lcc-1'}, wire: {key, value}}})

    const json = message(Buffer.from('{"connectorId":"x"}'))
    const plain = await decode(decoder, json)
    expect(plain).toEqual({ok: true, record: fromKafka('events', 0, json)})
  })

  it('fetches each schema id once', async () => {
    const registry = fakeRegistry()
    const decoder = new RecordDecoder(registry, new Map(), silentLogger)
    const value = await avro({connectorId: 'a'})
    await decoder.prepare('events', [message(value), message(value)])
    await decoder.prepare('events', [message(value)])
    expect(registry.calls).toBe(1)
  })

  it('dead letters: unknown id, bytes that do not decode, and formats against the pin', async () => {
    const pins = new Map([
      ['events', {key: 'auto' as const, value: 'avro' as const}],
      ['plain', {key: 'auto' as const, value: 'json' as const}],
    ])
    const decoder = new RecordDecoder(fakeRegistry(), pins, silentLogger)
    const reason = async (topic: string, value: Buffer) => {
      const msg = message(value)
      await decoder.prepare(topic, [msg])
      const result = decoder.decode(fromKafka(topic, 0, msg), msg)
      expect(result.ok).toBe(false)
      expect(result.record.wire).toEqual({key: msg.key, headers: {}, value})
      return result.ok ? '' : result.reason
    }
    const good = await avro({connectorId: 'a'})
    expect(await reason('events', frame(99, good.subarray(5)))).toBe(
      'events[0]@7: value schema id 99: not found in the Schema Registry',
    )
    expect(await reason('events', good.subarray(0, 6))).toMatch(
      /^events\[0\]@7: value schema id 1: does not decode as avro: /,
    )
    expect(await reason('events', Buffer.from('{"a":1}'))).toBe(
      'events[0]@7: value is not in the Schema Registry wire format, but topic events is pinned to avro',
    )
    const proto = frame(2, (await codecFor(schemas[2]!)).encode({connectorId: 'p'}))
    expect(await reason('events', proto)).toBe(
      'events[0]@7: value schema id 2 is protobuf, but topic events is pinned to avro',
    )
    expect(await reason('plain', good)).toBe(
      'events[0]@7: value is in the Schema Registry wire format (schema id 1), but topic plain is pinned to json'.replace(
        'events[0]',
        'plain[0]',
      ),
    )
  })

  it('a tombstone stays a tombstone on a pinned topic', async () => {
    const decoder = new RecordDecoder(
      fakeRegistry(),
      new Map([['events', {key: 'auto' as const, value: 'avro' as const}]]),
      silentLogger,
    )
    expect(await decode(decoder, message(null))).toMatchObject({ok: true, record: {value: null}})
  })

  it('waits out a registry outage (retries, never a dead letter)', async () => {
    const registry = fakeRegistry(3)
    const decoder = new RecordDecoder(registry, new Map(), silentLogger, {backoffMs: {first: 1, max: 2}})
    const decoded = await decode(decoder, message(await avro({connectorId: 'late'})))
    expect(decoded).toMatchObject({ok: true, record: {value: {connectorId: 'late'}}})
    expect(registry.calls).toBe(4)
  })

  it('an outage that outlasts the run ends with the error, never a dead letter', async () => {
    const decoder = new RecordDecoder(fakeRegistry(Infinity), new Map(), silentLogger, {backoffMs: {first: 1, max: 2}})
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 20)
    await expect(
      decoder.prepare('events', [message(await avro({connectorId: 'x'}))], {signal: controller.signal}),
    ).rejects.toThrow(RegistryUnavailable)
  })

  it('a one-shot read with patience stops once it is spent, naming the registry, topic and schema id', async () => {
    const registry = fakeRegistry(Infinity)
    const decoder = new RecordDecoder(registry, new Map(), silentLogger, {backoffMs: {first: 5, max: 5}})
    const waiting = decoder.prepare('events', [message(await avro({connectorId: 'x'}))], {patienceMs: 30})
    await expect(waiting).rejects.toThrow(Unrecoverable)
    await expect(waiting).rejects.toThrow('down (topic events, schema id 1)')
    expect(registry.calls).toBeGreaterThan(1)
  })
})
