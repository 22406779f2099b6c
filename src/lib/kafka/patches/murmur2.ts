// kafkajs 2.2.4 runs murmur2 on BigInt-backed Longs; this one on 32-bit integers (part of speedup.ts).

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
