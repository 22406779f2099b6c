// kafkajs 2.2.4's protocol Encoder, allocating without zero-filling (part of speedup.ts).

export interface EncoderLike {
  buf: Buffer
  offset: number
}

export type EncoderClass = {
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
