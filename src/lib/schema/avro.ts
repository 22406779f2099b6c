import avro from 'avsc'

import type {SchemaCodec} from './codec.js'

/*
 * Avro through avsc, mapped to plain JSON: unions unwrapped to their value, enums as strings,
 * bytes/fixed as base64, decimal as a string of its digits, timestamp-millis/-micros as ISO-8601
 * in UTC, date as YYYY-MM-DD. Logical types convert inside avsc (both ways); the walk below
 * does what avsc leaves as JS objects (wrapped unions, Buffers).
 */

const DAY_MS = 86_400_000

class TimestampMillis extends avro.types.LogicalType {
  protected override _fromValue(ms: number | string): string {
    return new Date(Number(ms)).toISOString()
  }
  protected override _toValue(value: unknown): number | undefined {
    return typeof value === 'string' ? Date.parse(value) : undefined
  }
}

class TimestampMicros extends avro.types.LogicalType {
  protected override _fromValue(value: number | string): string {
    const us = Number(value)
    const ms = Math.floor(us / 1000)
    const extra = us - ms * 1000
    const iso = new Date(ms).toISOString()
    return extra === 0 ? iso : `${iso.slice(0, -1)}${String(extra).padStart(3, '0')}Z`
  }
  protected override _toValue(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined
    const ms = Date.parse(value)
    const micros = /\.\d{3}(\d{1,3})/.exec(value)?.[1]?.padEnd(3, '0')
    return Number.isNaN(ms) ? undefined : ms * 1000 + Number(micros ?? 0)
  }
}

class DateType extends avro.types.LogicalType {
  protected override _fromValue(days: number): string {
    return new Date(days * DAY_MS).toISOString().slice(0, 10)
  }
  protected override _toValue(value: unknown): number | undefined {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return undefined
    return Date.parse(`${value}T00:00:00Z`) / DAY_MS
  }
}

/** decimal: the unscaled value as big-endian two's complement bytes; as JSON, a string of its digits. */
class DecimalType extends avro.types.LogicalType {
  private readonly scale: number
  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts)
    this.scale = (schema as {scale?: number}).scale ?? 0
  }
  protected override _fromValue(bytes: Buffer): string {
    let n = 0n
    for (const b of bytes) n = (n << 8n) | BigInt(b)
    if (bytes.length > 0 && bytes[0]! & 0x80) n -= 1n << BigInt(bytes.length * 8)
    const negative = n < 0n
    const digits = (negative ? -n : n).toString().padStart(this.scale + 1, '0')
    const whole = this.scale ? `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}` : digits
    return negative ? `-${whole}` : whole
  }
  protected override _toValue(value: unknown): Buffer | undefined {
    const text = typeof value === 'number' ? String(value) : value
    if (typeof text !== 'string') return undefined
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text)
    if (!m || (m[3]?.length ?? 0) > this.scale) return undefined
    let n = BigInt(`${m[2]}${(m[3] ?? '').padEnd(this.scale, '0')}`)
    if (m[1]) n = -n
    const bytes: number[] = []
    for (;;) {
      bytes.unshift(Number(n & 0xffn))
      n >>= 8n
      if ((n === 0n && !(bytes[0]! & 0x80)) || (n === -1n && bytes[0]! & 0x80)) break
    }
    return Buffer.from(bytes)
  }
}

/**
 * Avro `long` as a JS number while it is exact, else as a string of its digits (a number past
 * 2^53 would silently lose digits; avsc's own long refuses to decode it).
 */
const MAX = BigInt(Number.MAX_SAFE_INTEGER)
const exact = (n: bigint): number | string => (n <= MAX && n >= -MAX ? Number(n) : n.toString())
const isLong = (v: unknown): boolean => {
  if (typeof v === 'number') return Number.isSafeInteger(v)
  if (typeof v !== 'string' || !/^-?\d{1,19}$/.test(v)) return false
  const n = BigInt(v)
  return n >= -(1n << 63n) && n < 1n << 63n
}
const longType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => exact(buf.readBigInt64LE()),
  toBuffer(value: number | string) {
    const buf = Buffer.alloc(8)
    buf.writeBigInt64LE(BigInt(value))
    return buf
  },
  fromJSON: (value: number | string) => exact(BigInt(value)),
  toJSON: (value: number | string) => (typeof value === 'number' ? value : Number(value)),
  isValid: isLong,
  compare: (a: number | string, b: number | string) => {
    const [x, y] = [BigInt(a), BigInt(b)]
    return x < y ? -1 : x > y ? 1 : 0
  },
})

const options = {
  // Always wrapped: which branch a value took is then known without guessing (unwrapped below).
  wrapUnions: true,
  logicalTypes: {
    'timestamp-millis': TimestampMillis,
    'timestamp-micros': TimestampMicros,
    date: DateType,
    decimal: DecimalType,
  },
} as const

type AvroType = avro.Type & {
  typeName: string
  fields?: Array<{name: string; type: AvroType}>
  itemsType?: AvroType
  valuesType?: AvroType
  types?: AvroType[]
  branchName?: string
}

type ToJson = (value: unknown) => unknown
const identity: ToJson = (value) => value

/**
 * How an avsc value of `type` (wrapped unions, Buffers) becomes plain JSON, worked out once per
 * schema rather than per record: a function per type, recursive types through `cache`.
 */
function toJson(type: AvroType, cache = new Map<AvroType, ToJson>()): ToJson {
  const known = cache.get(type)
  if (known) return known
  let compiled: ToJson = identity
  // A recursive reference to `type` while it is being compiled calls what it becomes.
  cache.set(type, (value) => compiled(value))
  switch (type.typeName) {
    case 'record':
    case 'error': {
      const fields = type.fields!.map((field) => [field.name, toJson(field.type, cache)] as const)
      compiled = (value) => {
        const record = value as Record<string, unknown>
        const out: Record<string, unknown> = {}
        for (const [name, convert] of fields) out[name] = convert(record[name])
        return out
      }
      break
    }
    case 'array': {
      const item = toJson(type.itemsType!, cache)
      compiled = (value) => (value as unknown[]).map((v) => item(v))
      break
    }
    case 'map': {
      const item = toJson(type.valuesType!, cache)
      compiled = (value) => {
        const out: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(value as object)) out[k] = item(v)
        return out
      }
      break
    }
    case 'union:unwrapped': {
      // avsc unwraps a union only when each branch holds a different kind of value (null, a
      // Buffer, an array, an object, ...): the value's kind says which branch to convert it by.
      const convert = (kinds: string[]) => {
        const branch = type.types!.find((t) => kinds.includes(t.typeName))
        return branch ? toJson(branch, cache) : identity
      }
      const [buffer, array, object] = [convert(['bytes', 'fixed']), convert(['array']), convert(['record', 'map'])]
      if ([buffer, array, object].every((c) => c === identity)) break
      compiled = (value) => {
        if (value === null || typeof value !== 'object') return value
        if (Buffer.isBuffer(value)) return buffer(value)
        return Array.isArray(value) ? array(value) : object(value)
      }
      break
    }
    case 'union:wrapped': {
      const branches = new Map(type.types!.map((t) => [t.branchName!, toJson(t, cache)]))
      compiled = (value) => {
        if (value === null) return null
        const branch = Object.keys(value as object)[0]!
        return branches.get(branch)!((value as Record<string, unknown>)[branch])
      }
      break
    }
    case 'bytes':
    case 'fixed':
      compiled = (value) => (value as Buffer).toString('base64')
  }
  cache.set(type, compiled)
  return compiled
}

/** Plain JSON as the avsc value `type` encodes; the reverse of toJson (a union takes its first branch that fits). */
function fromJson(type: AvroType, value: unknown): unknown {
  switch (type.typeName) {
    case 'record':
    case 'error': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`does not fit the Avro schema: ${type.name ?? 'a record'} needs a JSON object`)
      }
      const record = value as Record<string, unknown>
      const out: Record<string, unknown> = {}
      for (const field of type.fields!) out[field.name] = fromJson(field.type, record[field.name])
      // A field the schema lacks would be dropped without a word (a misspelt one too): the value does not fit.
      for (const key in record) {
        if (record[key] !== null && record[key] !== undefined && !(key in out))
          throw new Error(`does not fit the Avro schema: ${type.name ?? 'the record'} has no field ${key}`)
      }
      return out
    }
    case 'array':
      return Array.isArray(value) ? value.map((item) => fromJson(type.itemsType!, item)) : value
    case 'map':
      if (value === null || typeof value !== 'object') return value
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromJson(type.valuesType!, v)]))
    case 'union:wrapped': {
      if (value === null || value === undefined) return null
      // A string is a string branch's first (a long or decimal branch would take "123" too).
      const branches =
        typeof value === 'string'
          ? [...type.types!].sort((a, b) => Number(b.typeName === 'string') - Number(a.typeName === 'string'))
          : type.types!
      for (const branch of branches) {
        if (branch.typeName === 'null') continue
        let candidate: unknown
        try {
          candidate = fromJson(branch, value)
        } catch {
          continue
        }
        if (branch.isValid(candidate)) return {[branch.branchName!]: candidate}
      }
      return value
    }
    case 'bytes':
    case 'fixed':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value
    default:
      return value
  }
}

export function avroCodec(schema: string): SchemaCodec {
  const type = avro.Type.forSchema(JSON.parse(schema), {...options, registry: {long: longType}}) as AvroType
  // Decoding reads unions unwrapped where avsc can (no wrapper object per optional field); writing
  // keeps them wrapped, so a value's branch is never guessed.
  const reader = avro.Type.forSchema(JSON.parse(schema), {
    ...options,
    wrapUnions: 'auto',
    registry: {long: longType},
  }) as AvroType
  const json = toJson(reader)
  return {
    format: 'avro',
    decode: (payload) => json(reader.fromBuffer(payload)),
    encode(value) {
      const native = fromJson(type, value)
      const problems: string[] = []
      type.isValid(native, {errorHook: (path) => problems.push(path.join('.') || '(the value)')})
      if (problems.length > 0) throw new Error(`does not fit the Avro schema at ${problems.join(', ')}`)
      return type.toBuffer(native)
    },
  }
}
