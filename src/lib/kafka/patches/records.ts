// kafkajs 2.2.4's record and record batch encoders, writing each batch into one buffer (part of speedup.ts).

import {crc32c} from './crc32c.js'
import type {EncoderLike} from './encoder.js'

type Bytes = Buffer | string | null | undefined
type HeaderValue = Bytes | number | Array<Buffer | string>

export interface RecordArgs {
  offsetDelta?: number
  timestampDelta?: number
  key?: Bytes
  value?: Bytes
  headers?: Record<string, HeaderValue>
}

export interface BatchArgs {
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
