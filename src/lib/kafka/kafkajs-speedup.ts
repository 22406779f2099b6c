import {createRequire} from 'node:module'

/**
 * kafkajs 2.2.4 spends most of a producer's CPU time allocating zero-filled buffers: every
 * record and every header gets a `new Encoder()` with `Buffer.alloc(512)` (a fresh ArrayBuffer
 * each, outside Node's buffer pool), grown by more zero-filled copies, then copied three more
 * times into the batch; and it computes CRC32C a byte at a time. Producing 1.5 KB alerts with
 * five headers ran at ~3,000 records/s.
 *
 * `speedUpKafkaJs()` swaps in, before kafkajs loads:
 * - an Encoder that allocates with `Buffer.allocUnsafe` (pooled; an encoder only ever exposes
 *   the bytes it wrote, so no uninitialised memory reaches the wire);
 * - a record encoder that only measures the record, and an uncompressed record batch encoder
 *   that writes every record straight into one buffer of the exact size;
 * - a slicing-by-8 CRC32C;
 * - murmur2 on 32-bit integers (kafkajs runs it on BigInt-backed Longs: the same partitions, as
 *   the Java client's, at a fraction of the cost), a partitioner that does not copy the partition
 *   list per message, and a linear (not quadratic) grouping of messages per partition.
 * The bytes on the wire are the same (the broker checks every batch's CRC; test/kafka covers
 * keys, values, headers, timestamps and tombstones). Compressed batches keep kafkajs' own code.
 * It applies only to kafkajs 2.2.4 and only if kafkajs is not loaded yet; otherwise kafkajs
 * runs unchanged.
 */
export function speedUpKafkaJs(): boolean {
  if (applied !== undefined) return applied
  applied = false
  try {
    const require = createRequire(import.meta.url)
    if ((require('kafkajs/package.json') as {version: string}).version !== '2.2.4') return false
    if (require.cache[require.resolve('kafkajs')]) return false // too late: its modules hold the originals
    const encoderPath = require.resolve('kafkajs/src/protocol/encoder.js')
    const crcPath = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js')
    const recordPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')
    const batchPath = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')
    const longPath = require.resolve('kafkajs/src/utils/long.js')
    const Original = require(encoderPath) as EncoderClass
    require(crcPath)
    require.cache[encoderPath]!.exports = fastEncoder(Original)
    require.cache[crcPath]!.exports = crc32c
    // Loaded after the swaps, so their own requires see the fast Encoder and CRC.
    const originalRecord = require(recordPath) as (args: RecordArgs) => unknown
    const batchModule = require(batchPath) as {RecordBatch: (args: BatchArgs) => Promise<unknown>}
    const Long = require(longPath) as {fromValue(value: unknown): {value: bigint}}
    require.cache[recordPath]!.exports = fastRecord(originalRecord)
    batchModule.RecordBatch = fastRecordBatch(batchModule.RecordBatch, Original.prototype, Long)
    const murmurPath = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js')
    const partitionerPath = require.resolve('kafkajs/src/producer/partitioners/legacy/partitioner.js')
    const groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
    const randomBytes = require(require.resolve('kafkajs/src/producer/partitioners/legacy/randomBytes.js')) as (
      size: number,
    ) => Buffer
    require(murmurPath)
    require(partitionerPath)
    require(groupPath)
    require.cache[murmurPath]!.exports = murmur2
    require.cache[partitionerPath]!.exports = partitionerFactory(randomBytes)
    require.cache[groupPath]!.exports = groupMessagesPerPartition
    const recordDecoderPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')
    require.cache[recordDecoderPath]!.exports = fastRecordDecoder(require(recordDecoderPath) as RecordDecoder)
    applied = true
  } catch {
    // Layout not as expected: leave kafkajs alone.
  }
  return applied
}

let applied: boolean | undefined

interface EncoderLike {
  buf: Buffer
  offset: number
}

type EncoderClass = {
  new (initialSize?: number): EncoderLike
  nextPowerOfTwo(value: number): number
  prototype: EncoderLike & {ensureAvailable(length: number): void}
}

/** kafkajs' Encoder, allocating from Node's pool without zero-filling. Same methods, same output. */
export function fastEncoder(Original: EncoderClass): EncoderClass {
  function FastEncoder(this: EncoderLike, initialSize = 511) {
    this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize))
    this.offset = 0
  }
  FastEncoder.prototype = Object.create(Original.prototype, {
    constructor: {value: FastEncoder, writable: true, configurable: true},
    ensureAvailable: {
      value(this: EncoderLike, length: number) {
        if (this.offset + length <= this.buf.length) return
        const grown = Buffer.allocUnsafe(Original.nextPowerOfTwo(this.offset + length))
        this.buf.copy(grown, 0, 0, this.offset)
        this.buf = grown
      },
      writable: true,
      configurable: true,
    },
  })
  Object.setPrototypeOf(FastEncoder, Original) // the static helpers (sizeOfVarInt, ...)
  return FastEncoder as unknown as EncoderClass
}

type Bytes = Buffer | string | null | undefined
type HeaderValue = Bytes | number | Array<Buffer | string>

interface RecordArgs {
  offsetDelta?: number
  timestampDelta?: number
  key?: Bytes
  value?: Bytes
  headers?: Record<string, HeaderValue>
}

interface BatchArgs {
  compression?: number
  firstOffset?: unknown
  firstTimestamp?: unknown
  maxTimestamp?: unknown
  partitionLeaderEpoch?: number
  lastOffsetDelta?: number
  transactional?: boolean
  producerId?: unknown
  producerEpoch?: number
  firstSequence?: number
  records?: unknown[]
}

const sizeOfUVarInt = (u: number): number => (u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5)
const zigZag32 = (v: number): number => ((v << 1) ^ (v >> 31)) >>> 0
/** ZigZag of a 64-bit value held in a JS number (exact below 2^52). */
const zigZag64 = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1)
const sizeOfUVarLong = (u: number): number => {
  let n = 1
  while (u >= 128) {
    u = Math.floor(u / 128)
    n++
  }
  return n
}

function writeUVarInt(buf: Buffer, pos: number, u: number): number {
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80
    u >>>= 7
  }
  buf[pos++] = u
  return pos
}

function writeUVarLong(buf: Buffer, pos: number, u: number): number {
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80
    u = Math.floor(u / 128)
  }
  buf[pos++] = u
  return pos
}

/** A byte field (key, value, header value) measured once: raw bytes, a string, or null (-1). */
class Field {
  readonly length: number
  constructor(readonly data: Buffer | string | null) {
    this.length = data === null ? -1 : typeof data === 'string' ? Buffer.byteLength(data) : data.length
  }

  get size(): number {
    return sizeOfUVarInt(zigZag32(this.length)) + Math.max(0, this.length)
  }

  write(buf: Buffer, pos: number): number {
    pos = writeUVarInt(buf, pos, zigZag32(this.length))
    if (this.data === null) return pos
    if (typeof this.data === 'string') return pos + buf.write(this.data, pos, this.length, 'utf8')
    return pos + this.data.copy(buf, pos)
  }
}

const field = (value: unknown): Field =>
  new Field(value === null || value === undefined ? null : Buffer.isBuffer(value) ? value : String(value))

/**
 * A record measured but not yet written: the batch encoder writes it in place. It still looks
 * like an Encoder (`buf`, `buffer`, `size()`), so kafkajs' own code (compression) can use it.
 */
class MeasuredRecord {
  readonly offset: number
  private readonly bodySize: number
  private bytes: Buffer | undefined

  constructor(
    private readonly timestampDelta: number,
    private readonly offsetDelta: number,
    private readonly key: Field,
    private readonly value: Field,
    private readonly headers: Array<[Field, Field]>,
  ) {
    let body =
      1 + sizeOfUVarLong(zigZag64(timestampDelta)) + sizeOfUVarInt(zigZag32(offsetDelta)) + key.size + value.size
    body += sizeOfUVarInt(zigZag32(headers.length))
    for (const [k, v] of headers) body += k.size + v.size
    this.bodySize = body
    this.offset = sizeOfUVarInt(zigZag32(body)) + body
  }

  size(): number {
    return this.offset
  }

  get buf(): Buffer {
    if (!this.bytes) {
      this.bytes = Buffer.allocUnsafe(this.offset)
      this.writeTo(this.bytes, 0)
    }
    return this.bytes
  }

  get buffer(): Buffer {
    return this.buf
  }

  writeTo(buf: Buffer, pos: number): number {
    pos = writeUVarInt(buf, pos, zigZag32(this.bodySize))
    buf[pos++] = 0 // attributes
    pos = writeUVarLong(buf, pos, zigZag64(this.timestampDelta))
    pos = writeUVarInt(buf, pos, zigZag32(this.offsetDelta))
    pos = this.key.write(buf, pos)
    pos = this.value.write(buf, pos)
    pos = writeUVarInt(buf, pos, zigZag32(this.headers.length))
    for (const [k, v] of this.headers) {
      pos = k.write(buf, pos)
      pos = v.write(buf, pos)
    }
    return pos
  }
}

/** kafkajs' Record (recordBatch/record/v0), measuring instead of encoding; odd inputs go to the original. */
export function fastRecord(original: (args: RecordArgs) => unknown): (args: RecordArgs) => unknown {
  return (args) => {
    const {offsetDelta = 0, timestampDelta = 0, key, value, headers = {}} = args
    if (
      typeof timestampDelta !== 'number' ||
      !Number.isSafeInteger(timestampDelta) ||
      !Number.isSafeInteger(offsetDelta)
    )
      return original(args)
    const fields: Array<[Field, Field]> = []
    for (const name of Object.keys(headers)) {
      const v = headers[name]
      if (Array.isArray(v)) for (const item of v) fields.push([new Field(name), field(item)])
      else fields.push([new Field(name), field(v)])
    }
    return new MeasuredRecord(timestampDelta, offsetDelta, field(key), field(value), fields)
  }
}

/** kafkajs' RecordBatch for uncompressed batches of measured records: one exact-size buffer, no copies. */
export function fastRecordBatch(
  original: (args: BatchArgs) => Promise<unknown>,
  encoderPrototype: object,
  Long: {fromValue(value: unknown): {value: bigint}},
): (args: BatchArgs) => Promise<unknown> {
  const int64 = (value: unknown) => BigInt.asIntN(64, Long.fromValue(value).value)
  return async (args) => {
    const records = args.records ?? []
    if ((args.compression ?? 0) !== 0 || !records.every((r) => r instanceof MeasuredRecord)) return original(args)
    const measured = records as MeasuredRecord[]
    let recordBytes = 0
    for (const r of measured) recordBytes += r.offset
    const bodySize = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4 + recordBytes
    const batchLength = 4 + 1 + 4 + bodySize
    const total = 8 + 4 + batchLength
    const buf = Buffer.allocUnsafe(total)
    buf.writeBigInt64BE(int64(args.firstOffset ?? 0), 0)
    buf.writeInt32BE(batchLength, 8)
    buf.writeInt32BE(args.partitionLeaderEpoch ?? 0, 12)
    buf.writeInt8(2, 16) // magic
    const bodyStart = 21
    let pos = bodyStart
    pos = buf.writeInt16BE(args.transactional ? 16 : 0, pos) // attributes: no compression, create time
    pos = buf.writeInt32BE(args.lastOffsetDelta ?? 0, pos)
    const now = Date.now()
    pos = buf.writeBigInt64BE(int64(args.firstTimestamp ?? now), pos)
    pos = buf.writeBigInt64BE(int64(args.maxTimestamp ?? now), pos)
    pos = buf.writeBigInt64BE(int64(args.producerId ?? -1), pos)
    pos = buf.writeInt16BE(args.producerEpoch ?? 0, pos)
    pos = buf.writeInt32BE(args.firstSequence ?? 0, pos)
    pos = buf.writeInt32BE(measured.length, pos)
    for (const r of measured) pos = r.writeTo(buf, pos)
    if (pos !== total) throw new Error(`kafkajs-speedup: record batch size mismatch (${pos} != ${total})`)
    buf.writeUInt32BE(crc32c(buf.subarray(bodyStart)), 17)
    const encoder = Object.create(encoderPrototype) as EncoderLike
    encoder.buf = buf
    encoder.offset = total
    return encoder
  }
}

/** Kafka's murmur2 (Utils.murmur2 in the Java client) of a key's bytes, as a signed 32-bit int. */
export function murmur2(key: Buffer | string): number {
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key))
  const length = data.length
  const m = 0x5bd1e995
  let h = (0x9747b28c ^ length) | 0
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, m)
    k ^= k >>> 24
    k = Math.imul(k, m)
    h = Math.imul(h, m) ^ k
  }
  const tail = length & ~3
  switch (length % 4) {
    case 3:
      h ^= data[tail + 2]! << 16
    // falls through
    case 2:
      h ^= data[tail + 1]! << 8
    // falls through
    case 1:
      h ^= data[tail]!
      h = Math.imul(h, m)
  }
  h ^= h >>> 13
  h = Math.imul(h, m)
  h ^= h >>> 15
  return h
}

interface PartitionMetadata {
  partitionId: number
  leader: number
}

type Partitioner = (args: {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: {partition?: number | null; key?: unknown}
}) => number

/** kafkajs' partitioner factory (legacy/partitioner.js), same choices, without a filtered copy of the partitions per message. */
export function partitionerFactory(randomBytes: (size: number) => Buffer) {
  const toPositive = (x: number) => x & 0x7fffffff
  return (hash: (key: Buffer | string) => number) => (): Partitioner => {
    const counters: Record<string, number> = {}
    return ({topic, partitionMetadata, message}) => {
      if (!(topic in counters)) counters[topic] = randomBytes(32).readUInt32BE(0)
      if (message.partition !== null && message.partition !== undefined) return message.partition
      const numPartitions = partitionMetadata.length
      if (message.key !== null && message.key !== undefined)
        return toPositive(hash(message.key as Buffer | string)) % numPartitions
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (available.length > 0) return available[toPositive(++counters[topic]!) % available.length]!.partitionId
      return toPositive(++counters[topic]!) % numPartitions
    }
  }
}

/** kafkajs' groupMessagesPerPartition: partition → its messages in order, in linear time. */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string
  partitionMetadata: PartitionMetadata[]
  messages: Array<{partition?: number | null; key?: unknown}>
  partitioner: Partitioner
}): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) {
    const partition = partitioner({topic, partitionMetadata, message})
    const list = result[partition]
    if (list) list.push(message)
    else result[partition] = [message]
  }
  return result
}

interface DecoderLike {
  buffer: Buffer
  offset: number
}

interface RecordContext {
  firstOffset?: string
  firstTimestamp?: string
  magicByte?: number
  isControlBatch?: boolean
  timestampType?: number
  maxTimestamp?: string
}

type RecordDecoder = (decoder: DecoderLike, batchContext?: RecordContext) => unknown

/** kafkajs' record decoder (recordBatch/record/v0/decoder), same result; odd records go to the original. */
export function fastRecordDecoder(original: RecordDecoder): RecordDecoder {
  return (decoder, batchContext = {}) => {
    const {firstOffset, firstTimestamp, magicByte, isControlBatch = false, timestampType, maxTimestamp} = batchContext
    const baseOffset = Number(firstOffset)
    const baseTimestamp = Number(firstTimestamp)
    if (!Number.isSafeInteger(baseOffset) || !Number.isSafeInteger(baseTimestamp))
      return original(decoder, batchContext)
    const buf = decoder.buffer
    let pos = decoder.offset
    const varInt = (): number => {
      let byte: number
      let result = 0
      let shift = 0
      do {
        byte = buf[pos++]!
        result += (byte & 0x7f) << shift
        shift += 7
      } while (byte >= 0x80)
      return (result >>> 1) ^ -(result & 1)
    }
    const bytes = (): Buffer | null => {
      const length = varInt()
      if (length === -1) return null
      const slice = buf.slice(pos, pos + length)
      pos += length
      return slice
    }
    const attributes = buf.readInt8(pos++)
    let zigzag = 0
    let scale = 1
    for (let byte = 0x80; byte >= 0x80; scale *= 128) {
      if (scale > 2 ** 42) return original(decoder, batchContext) // beyond 2^49: let BigInts do it
      byte = buf[pos++]!
      zigzag += (byte & 0x7f) * scale
    }
    const timestampDelta = zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2
    const timestamp = timestampType === 1 && maxTimestamp ? maxTimestamp : String(baseTimestamp + timestampDelta)
    const offset = String(baseOffset + varInt())
    const key = bytes()
    const value = bytes()
    const count = varInt()
    const headers: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) {
      const nameBytes = bytes()
      const name = nameBytes === null ? 'null' : nameBytes.toString('utf8')
      if (name === '__proto__') return original(decoder, batchContext)
      const headerValue = bytes()
      const seen = headers[name]
      headers[name] =
        seen === undefined ? headerValue : Array.isArray(seen) ? seen.concat([headerValue]) : [seen, headerValue]
    }
    decoder.offset = pos
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    }
  }
}

const TABLES = (() => {
  const tables = Array.from({length: 8}, () => new Int32Array(256))
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    tables[0]![i] = c
  }
  for (let i = 0; i < 256; i++) {
    for (let t = 1; t < 8; t++) tables[t]![i] = (tables[t - 1]![i]! >>> 8) ^ tables[0]![tables[t - 1]![i]! & 0xff]!
  }
  return tables
})()

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * CRC32C (Castagnoli), eight bytes per step; returns the unsigned checksum. On little-endian
 * machines it reads the bytes as 32-bit words (after the unaligned head): twice as fast.
 */
export function crc32c(buffer: Uint8Array): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ]
  let crc = -1
  let i = 0
  if (LITTLE_ENDIAN && buffer.length >= 16) {
    const head = Math.min(buffer.length, (4 - (buffer.byteOffset & 3)) & 3)
    for (; i < head; i++) crc = t0[(crc ^ buffer[i]!) & 0xff]! ^ (crc >>> 8)
    const words = new Uint32Array(buffer.buffer, buffer.byteOffset + i, ((buffer.length - i) >>> 3) * 2)
    for (let w = 0; w < words.length; w += 2) {
      crc ^= words[w]!
      const high = words[w + 1]!
      crc =
        t7[crc & 0xff]! ^
        t6[(crc >>> 8) & 0xff]! ^
        t5[(crc >>> 16) & 0xff]! ^
        t4[crc >>> 24]! ^
        t3[high & 0xff]! ^
        t2[(high >>> 8) & 0xff]! ^
        t1[(high >>> 16) & 0xff]! ^
        t0[high >>> 24]!
    }
    i += words.length * 4
  }
  const end = buffer.length - ((buffer.length - i) % 8)
  for (; i < end; i += 8) {
    crc ^= buffer[i]! | (buffer[i + 1]! << 8) | (buffer[i + 2]! << 16) | (buffer[i + 3]! << 24)
    crc =
      t7[crc & 0xff]! ^
      t6[(crc >>> 8) & 0xff]! ^
      t5[(crc >>> 16) & 0xff]! ^
      t4[crc >>> 24]! ^
      t3[buffer[i + 4]!]! ^
      t2[buffer[i + 5]!]! ^
      t1[buffer[i + 6]!]! ^
      t0[buffer[i + 7]!]!
  }
  for (; i < buffer.length; i++) crc = t0[(crc ^ buffer[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ -1) >>> 0
}
