// kafkajs 2.2.4's record decoder on plain numbers instead of Longs (part of speedup.ts).

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

export type RecordDecoder = (decoder: DecoderLike, batchContext?: RecordContext) => unknown

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
