// The faster kafkajs encoders write exactly the bytes kafkajs' own encoders write.
import {createRequire} from 'node:module'
import {randomBytes} from 'node:crypto'

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {crc32c, crc32cSlicing, nativeCrc32c} from '../../../src/lib/kafka/patches/crc32c.js'
import {fastEncoder} from '../../../src/lib/kafka/patches/encoder.js'
import {murmur2} from '../../../src/lib/kafka/patches/murmur2.js'
import {groupMessagesPerPartition, partitionerFactory} from '../../../src/lib/kafka/patches/partitioner.js'
import {fastRecordDecoder} from '../../../src/lib/kafka/patches/record-decoder.js'
import {fastRecord, fastRecordBatch} from '../../../src/lib/kafka/patches/records.js'

const require = createRequire(import.meta.url)
const Encoder = require('kafkajs/src/protocol/encoder.js')
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js')
const {RecordBatch} = require('kafkajs/src/protocol/recordBatch/v0/index.js')
const originalCrc = require('kafkajs/src/protocol/recordBatch/crc32C/index.js')
const Long = require('kafkajs/src/utils/long.js')
const originalMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js')
const originalFactory = require('kafkajs/src/producer/partitioners/legacy/partitioner.js')
const originalGroup = require('kafkajs/src/producer/groupMessagesPerPartition.js')
const randomBytesModule = require('kafkajs/src/producer/partitioners/legacy/randomBytes.js')
const Decoder = require('kafkajs/src/protocol/decoder.js')
const RecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')

const bytes = (encoder: {buffer: Buffer}) => Buffer.from(encoder.buffer).toString('hex')

const message = fc.record({
  key: fc.oneof(
    fc.constant(null),
    fc.string(),
    fc.uint8Array({maxLength: 40}).map((a) => Buffer.from(a)),
  ),
  value: fc.oneof(
    fc.constant(null),
    fc.string({unit: 'grapheme', maxLength: 3000}),
    fc.uint8Array({maxLength: 300}).map((a) => Buffer.from(a)),
  ),
  headers: fc.dictionary(
    fc.string({minLength: 1, maxLength: 20}),
    fc.oneof(
      fc.string(),
      fc.array(fc.string(), {maxLength: 3}),
      fc.uint8Array({maxLength: 20}).map((a) => Buffer.from(a)),
    ),
  ),
  timestampDelta: fc.integer({min: -1e12, max: 1e12}),
})

describe('kafkajs speed-up', () => {
  // Both: the native one where @node-rs/crc32's binary loads, the JavaScript one where none does.
  for (const [name, crc] of [
    ['CRC32C', crc32c],
    ['CRC32C in JavaScript', crc32cSlicing],
  ] as const) {
    it(`${name} matches kafkajs for any bytes`, () => {
      for (const n of [0, 1, 7, 8, 9, 63, 64, 1000, 65_537]) {
        const buffer = randomBytes(n)
        expect(crc(buffer)).toBe(originalCrc(buffer))
      }
      expect(crc(Buffer.from('123456789'))).toBe(0xe3069283) // the CRC-32C check value
      expect(crc(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff) // unsigned, as kafkajs writes it
    })

    it(`${name} matches kafkajs at every alignment (the JavaScript one reads 32-bit words after an unaligned head)`, () => {
      fc.assert(
        fc.property(fc.uint8Array({maxLength: 200}), fc.integer({min: 0, max: 7}), (bytes, skip) => {
          const view = Buffer.concat([Buffer.alloc(skip), Buffer.from(bytes)]).subarray(skip)
          expect(crc(view)).toBe(originalCrc(view))
        }),
        {numRuns: 500},
      )
    })
  }

  it('CRC32C in hardware loads on a platform @node-rs/crc32 ships a binary for', () => {
    if (
      !['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'].includes(
        `${process.platform}-${process.arch}`,
      )
    )
      return
    expect(nativeCrc32c()).toBeTypeOf('function')
  })

  it('the pooled Encoder writes what the original writes', () => {
    const Fast = fastEncoder(Encoder)
    const write = (e: any) =>
      e
        .writeInt32(7)
        .writeString('héllo')
        .writeVarIntBytes(Buffer.alloc(2000, 1))
        .writeVarLong(-123456789012)
        .writeBytes('x'.repeat(700))
    expect(bytes(write(new Fast()))).toBe(bytes(write(new Encoder())))
    expect(new Fast()).toBeInstanceOf(Encoder)
  })

  it('the Encoder keeps large parts and nested encoders by reference and still writes the same bytes', () => {
    const Fast = fastEncoder(Encoder)
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({min: 0, max: 300}), fc.integer({min: 16_000, max: 70_000})), {maxLength: 6}),
        fc.array(fc.integer({min: 0, max: 5}), {maxLength: 4}),
        (sizes, depths) => {
          let seed = 0
          const part = (n: number) => Buffer.alloc(n, ++seed % 251)
          // A produce request's shape: buffers inside encoders inside encoders, with small fields between.
          const build = (E: any, depth: number): any => {
            const e = new E().writeInt32(depth)
            for (const n of sizes) e.writeBytes(part(n)).writeInt16(n % 300)
            if (depth > 0) e.writeArray([build(E, depth - 1), build(E, depth - 1)]).writeEncoder(build(E, depth - 1))
            return e
          }
          for (const depth of depths) {
            seed = 0
            const fast = (new Fast() as any).writeInt32(0).writeEncoder(build(Fast, depth))
            seed = 0
            const original = new Encoder().writeInt32(0).writeEncoder(build(Encoder, depth))
            expect(fast.size()).toBe(original.size())
            expect(bytes(fast)).toBe(bytes(original))
            // Read twice (kafkajs logs the size first): the same bytes, joined once.
            const once: Buffer = fast.buffer
            expect(fast.buffer.buffer).toBe(once.buffer)
            expect(fast.writeInt8(1).size()).toBe(original.writeInt8(1).size())
            expect(bytes(fast)).toBe(bytes(original))
          }
        },
      ),
      {numRuns: 100},
    )
    // Not copied until the frame's bytes are read.
    const big = Buffer.alloc(20_000, 7)
    expect((new Fast() as any).writeInt8(1).writeBuffer(big).chunks).toEqual([Buffer.from([1]), big])
    expect((new Fast() as any).writeInt8(1).writeBuffer(big).chunks[1]).toBe(big)
  })

  it('record batches are byte for byte the ones kafkajs builds', async () => {
    const fastRec = fastRecord(Record)
    const fastBatch = fastRecordBatch(RecordBatch, Encoder.prototype, Long)
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, {minLength: 1, maxLength: 20}),
        fc.boolean(),
        async (messages, transactional) => {
          const args = {
            firstTimestamp: '1764000000000',
            maxTimestamp: 1764000005000,
            producerId: Long.fromValue(42),
            producerEpoch: 3,
            firstSequence: 17,
            transactional,
            lastOffsetDelta: messages.length - 1,
          }
          const original = await RecordBatch({...args, records: messages.map((m, i) => Record({...m, offsetDelta: i}))})
          const fast = await fastBatch({...args, records: messages.map((m, i) => fastRec({...m, offsetDelta: i}))})
          expect(bytes(fast as any)).toBe(bytes(original))
          expect((fast as any).size()).toBe(original.size())
        },
      ),
      {numRuns: 200},
    )
  })

  it("murmur2 gives the Java client's hashes (Utils.murmur2, Kafka 4.4.0) and kafkajs' for any key", () => {
    const java: Array<[string, number]> = [
      ['acct-1', 294059390],
      ['acct-42', -1294421753],
      ['opportunity:0061x00000ABCDE', 1716261688],
      ['hello', 2132663229],
      ['a', -1563381124],
      ['🚀 émoji', -1517338513],
    ]
    for (const [key, hash] of java) expect(murmur2(key)).toBe(hash)
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({unit: 'grapheme'}),
          fc.uint8Array().map((a) => Buffer.from(a)),
        ),
        (key) => murmur2(key) === originalMurmur2(key),
      ),
    )
  })

  it('partitions and groups messages as kafkajs does', () => {
    const partitionMetadata = Array.from({length: 6}, (_, partitionId) => ({partitionId, leader: 1}))
    const messages = Array.from({length: 500}, (_, i) => ({
      key: i % 7 === 0 ? null : `fa-${i}`,
      value: String(i),
      partition: i % 50 === 3 ? 2 : undefined,
    }))
    const keyed = messages.filter((m) => m.key !== null)
    const fast = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata,
      messages: keyed,
      partitioner: partitionerFactory(randomBytesModule)(murmur2)(),
    })
    const original = originalGroup({
      topic: 't',
      partitionMetadata,
      messages: keyed,
      partitioner: originalFactory(originalMurmur2)(),
    })
    expect(fast).toEqual(original)
    // Keyless messages go round-robin from a random start, over every partition.
    const spread = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata,
      messages: messages.filter((m) => m.key === null && m.partition === undefined),
      partitioner: partitionerFactory(randomBytesModule)(murmur2)(),
    })
    expect(Object.keys(spread)).toHaveLength(6)
  })

  it('records decode to what kafkajs decodes', () => {
    const fast = fastRecordDecoder(RecordDecoder)
    fc.assert(
      fc.property(
        message,
        fc.integer({min: 0, max: 1e6}),
        fc.boolean(),
        fc.constantFrom(0, 1),
        (m, offsetDelta, control, timestampType) => {
          const headers = {...m.headers, dup: 'a'}
          // The record decoder gets the record without its length prefix, as the batch decoder hands it over.
          const encoded = new Decoder(Buffer.from(Record({...m, headers, offsetDelta}).buffer)).readVarIntBytes()
          const context = {
            firstOffset: '1234567',
            firstTimestamp: '1764000000000',
            maxTimestamp: '1764000009999',
            magicByte: 2,
            isControlBatch: control,
            timestampType,
          }
          const a = new Decoder(encoded)
          const b = new Decoder(encoded)
          expect(fast(a, context)).toEqual(RecordDecoder(b, context))
          expect(a.offset).toBe(b.offset)
        },
      ),
      {numRuns: 300},
    )
  })

  it('measured records still encode on their own (compressed batches use them that way)', () => {
    const m = {key: 'k', value: 'v'.repeat(600), headers: {a: 'b', c: ['d', 'e']}, offsetDelta: 3, timestampDelta: 12}
    expect(bytes(fastRecord(Record)(m) as any)).toBe(bytes(Record(m)))
  })
})
