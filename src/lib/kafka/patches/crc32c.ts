/** CRC32C (Castagnoli) in hardware, else by slicing-by-8: kafkajs computes it a byte at a time. */

import {createRequire} from 'node:module'

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
 * CRC32C (Castagnoli) in JavaScript, eight bytes per step; returns the unsigned checksum. On
 * little-endian machines it reads the bytes as 32-bit words (after the unaligned head): twice as
 * fast.
 */
export function crc32cSlicing(buffer: Uint8Array): number {
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

/**
 * @node-rs/crc32's SSE 4.2 / ARMv8 instructions: several times faster on a batch of alerts. Its
 * prebuilt binary is an optional dependency, so a platform npm has none for keeps the JavaScript
 * one. Loaded at the first checksum: a command that loads this module but produces nothing (a
 * dry run) does not pay for opening the addon.
 */
export function nativeCrc32c(): ((buffer: Uint8Array) => number) | undefined {
  try {
    const {crc32c: native} = createRequire(import.meta.url)('@node-rs/crc32') as {crc32c: (input: Uint8Array) => number}
    return (buffer) => native(buffer) >>> 0
  } catch {
    return undefined
  }
}

let chosen: ((buffer: Uint8Array) => number) | undefined

/** CRC32C (Castagnoli) of `buffer`, unsigned. */
export function crc32c(buffer: Uint8Array): number {
  return (chosen ??= nativeCrc32c() ?? crc32cSlicing)(buffer)
}
