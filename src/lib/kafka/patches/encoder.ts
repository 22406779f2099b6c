// kafkajs 2.2.4's protocol Encoder, allocating without zero-filling and without copying large parts (part of speedup.ts).

export interface EncoderLike {
  buf: Buffer
  offset: number
}

export type EncoderClass = {
  new (initialSize?: number): EncoderLike
  nextPowerOfTwo(value: number): number
  prototype: EncoderLike & {ensureAvailable(length: number): void}
}

/** Parts at least this big are kept by reference, not copied. */
const BY_REFERENCE = 16 << 10

interface Chunked extends EncoderLike {
  /** The bytes written before `buf`, in order (absent: all of them are in `buf`). */
  chunks: Buffer[] | undefined
  chunked: number
  readonly buffer: Buffer
  size(): number
  ensureAvailable(length: number): void
  writeBufferInternal(buffer: Buffer): void
}

/**
 * kafkajs' Encoder, allocating from Node's pool without zero-filling. A produce request nests
 * encoders five deep (record batch, partition, topic, request, frame), each of which copied its
 * children and grew by doubling copies; here large parts (record batches) and nested encoders
 * are kept as a list of buffers and joined once, when the frame's bytes are read. Same methods,
 * same bytes.
 */
export function fastEncoder(Original: EncoderClass): EncoderClass {
  function FastEncoder(this: Chunked, initialSize = 511) {
    this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize))
    this.offset = 0
    this.chunks = undefined
    this.chunked = 0
  }
  /** Ends the current buffer as a chunk; writing goes on in the rest of it. */
  const cut = (e: Chunked): Buffer[] => {
    const chunks = (e.chunks ??= [])
    if (e.offset > 0) {
      chunks.push(e.buf.subarray(0, e.offset))
      e.chunked += e.offset
      e.buf = e.buf.subarray(e.offset)
      e.offset = 0
    }
    return chunks
  }
  /** Writes a nested encoder: its chunks by reference, then what it holds in its own buffer. */
  const append = (e: Chunked, part: Chunked) => {
    if (!Buffer.isBuffer(part?.buf)) throw new Error('value should be an instance of Encoder')
    if (!part.chunks) return e.writeBufferInternal(part.buffer)
    cut(e).push(...part.chunks)
    e.chunked += part.chunked
    e.writeBufferInternal(part.buf.subarray(0, part.offset))
  }
  const methods: Record<string, (this: Chunked, ...args: never[]) => unknown> = {
    ensureAvailable(length: number) {
      if (this.offset + length <= this.buf.length) return
      const grown = Buffer.allocUnsafe(Original.nextPowerOfTwo(this.offset + length))
      this.buf.copy(grown, 0, 0, this.offset)
      this.buf = grown
    },
    writeBufferInternal(buffer: Buffer) {
      if (buffer.length < BY_REFERENCE) {
        this.ensureAvailable(buffer.length)
        buffer.copy(this.buf, this.offset, 0)
        this.offset += buffer.length
        return
      }
      cut(this).push(buffer)
      this.chunked += buffer.length
    },
    writeEncoder(value: Chunked) {
      append(this, value)
      return this
    },
    writeEncoderArray(values: Chunked[]) {
      if (!Array.isArray(values) || values.some((v) => !Buffer.isBuffer(v?.buf)))
        throw new Error('all values should be an instance of Encoder[]')
      for (const v of values) append(this, v)
      return this
    },
    size() {
      return this.chunked + this.offset
    },
  }
  FastEncoder.prototype = Object.create(Original.prototype, {
    constructor: {value: FastEncoder, writable: true, configurable: true},
    ...Object.fromEntries(
      Object.entries(methods).map(([name, value]) => [name, {value, writable: true, configurable: true}]),
    ),
    buffer: {
      // Joined once; the encoder then holds the joined bytes, so reading it again copies nothing.
      get(this: Chunked) {
        if (!this.chunks) return this.buf.subarray(0, this.offset)
        const joined = Buffer.concat([...cut(this)], this.chunked)
        this.buf = joined
        this.offset = joined.length
        this.chunks = undefined
        this.chunked = 0
        return joined
      },
      configurable: true,
    },
  })
  Object.setPrototypeOf(FastEncoder, Original) // the static helpers (sizeOfVarInt, ...)
  return FastEncoder as unknown as EncoderClass
}
