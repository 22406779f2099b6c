import protobuf from 'protobufjs'

import type {SchemaCodec} from './codec.js'

/*
 * Protobuf through protobufjs, by the canonical JSON mapping: lowerCamelCase JSON names, 64-bit
 * integers as strings, enums as names, bytes as base64, google.protobuf.Timestamp as an ISO-8601
 * string. The Confluent framing puts message indexes (zigzag varints) before the payload: which
 * message of the .proto file, [0] being the first, written as a single 0.
 */

// protobufjs' hook for well-known types (as it does google.protobuf.Any): Timestamp <-> ISO string.
protobuf.wrappers['.google.protobuf.Timestamp'] = {
  fromObject(this: protobuf.Type, object: {[k: string]: unknown}) {
    return this.fromObject(typeof object === 'string' ? isoToTimestamp(object) : object)
  },
  toObject(this: protobuf.Type, message: protobuf.Message, options?: protobuf.IConversionOptions) {
    if (!options?.json) return this.toObject(message, options)
    const {seconds, nanos} = message as unknown as {seconds: number | {toNumber(): number}; nanos: number}
    const s = typeof seconds === 'number' ? seconds : seconds.toNumber()
    const iso = new Date(s * 1000).toISOString().slice(0, 19)
    const fraction = nanos
      ? `.${String(nanos)
          .padStart(9, '0')
          .replace(/(\d{3})(0{3}){1,2}$/, '$1')}`
      : ''
    return `${iso}${fraction}Z` as unknown as {[k: string]: unknown}
  },
}

const jsonOptions: protobuf.IConversionOptions = {longs: String, enums: String, bytes: String, json: true}

/** `value` with every Timestamp field given as an ISO string turned into {seconds, nanos} (what fromObject takes). */
function withTimestamps(type: protobuf.Type, value: {[k: string]: unknown}): {[k: string]: unknown} {
  const out = {...value}
  for (const field of type.fieldsArray) {
    const child = field.resolvedType
    const v = out[field.name]
    if (!(child instanceof protobuf.Type) || v === null || v === undefined) continue
    const convert = (item: unknown): unknown => {
      if (child.fullName === '.google.protobuf.Timestamp' && typeof item === 'string') return isoToTimestamp(item)
      return item !== null && typeof item === 'object' && !Array.isArray(item)
        ? withTimestamps(child, item as {[k: string]: unknown})
        : item
    }
    out[field.name] = field.repeated && Array.isArray(v) ? v.map(convert) : convert(v)
  }
  return out
}

const INT32 = new Set(['int32', 'sint32', 'sfixed32'])
const UINT32 = new Set(['uint32', 'fixed32'])
const INT64 = new Set(['int64', 'sint64', 'sfixed64'])
const UINT64 = new Set(['uint64', 'fixed64'])

const article = (word: string): string => (/^[aeiou]/.test(word) ? 'an' : 'a')

/** Why a JSON value cannot be `field`'s (protobufjs' fromObject would coerce it and lose data), or undefined. */
function misfit(field: protobuf.Field, v: unknown, at: string): string | undefined {
  const type = field.resolvedType
  if (type instanceof protobuf.Enum) {
    const known = typeof v === 'string' ? v in type.values : Object.values(type.values).includes(v as number)
    return known ? undefined : `${at}: not a value of enum ${type.name}`
  }
  if (type instanceof protobuf.Type) {
    if (type.fullName === '.google.protobuf.Timestamp' && typeof v === 'string')
      return Number.isNaN(Date.parse(v)) ? `${at}: not an ISO-8601 timestamp` : undefined
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return `${at}: not an object`
    return misfitIn(type, v as {[k: string]: unknown}, `${at}.`)
  }
  const integer = (min: bigint, max: bigint): string | undefined => {
    const n =
      (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && /^-?\d+$/.test(v))
        ? BigInt(v)
        : undefined
    return n !== undefined && n >= min && n <= max
      ? undefined
      : `${at}: not ${article(field.type)} ${field.type} (${min} to ${max})`
  }
  if (INT32.has(field.type)) return integer(-(2n ** 31n), 2n ** 31n - 1n)
  if (UINT32.has(field.type)) return integer(0n, 2n ** 32n - 1n)
  if (INT64.has(field.type)) return integer(-(2n ** 63n), 2n ** 63n - 1n)
  if (UINT64.has(field.type)) return integer(0n, 2n ** 64n - 1n)
  // Canonical JSON writes the non-finite floats as these strings.
  if ((field.type === 'double' || field.type === 'float') && ['NaN', 'Infinity', '-Infinity'].includes(v as string))
    return undefined
  const kind = {string: 'string', bytes: 'string', bool: 'boolean', double: 'number', float: 'number'}[field.type]
  return kind === undefined || typeof v === kind ? undefined : `${at}: not ${article(field.type)} ${field.type}`
}

/** The first field of `value` that `type` cannot carry, named by its path. */
function misfitIn(type: protobuf.Type, value: {[k: string]: unknown}, prefix = ''): string | undefined {
  for (const [name, v] of Object.entries(value)) {
    const field = type.fields[name]
    if (!field || v === null || v === undefined) continue
    const at = `${prefix}${name}`
    if (field.repeated) {
      if (!Array.isArray(v)) return `${at}: not a list`
      for (const [i, item] of v.entries()) {
        const why = misfit(field, item, `${at}.${i}`)
        if (why) return why
      }
    } else if (field instanceof protobuf.MapField) {
      if (typeof v !== 'object' || Array.isArray(v)) return `${at}: not a map`
      for (const [k, item] of Object.entries(v)) {
        const why = misfit(field, item, `${at}.${k}`)
        if (why) return why
      }
    } else {
      const why = misfit(field, v, at)
      if (why) return why
    }
  }
  return undefined
}

function isoToTimestamp(text: string): {seconds: number; nanos: number} {
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new TypeError(`not an ISO-8601 timestamp: ${text}`)
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? ''
  return {seconds: Math.floor(ms / 1000), nanos: Number(fraction.padEnd(9, '0').slice(0, 9))}
}

/** The .proto text as a root with the well-known types it may import. */
function parse(schema: string): protobuf.IParserResult {
  const root = new protobuf.Root()
  for (const name of ['timestamp', 'duration', 'wrappers', 'struct', 'empty', 'any']) {
    root.addJSON(protobuf.common.get(`google/protobuf/${name}.proto`)!.nested!)
  }
  return protobuf.parse(schema, root)
}

/** The message types of a namespace in declaration order (what message indexes count). */
function messagesOf(namespace: protobuf.NamespaceBase): protobuf.Type[] {
  return namespace.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)
}

export function protobufCodec(schema: string): SchemaCodec {
  const parsed = parse(schema)
  const file = parsed.package ? (parsed.root.lookup(parsed.package) as protobuf.Namespace) : parsed.root
  const top = messagesOf(file).filter((t) => !t.fullName.startsWith('.google.protobuf.'))
  if (top.length === 0) throw new Error('the .proto schema declares no message')
  parsed.root.resolveAll()

  const typeAt = (indexes: number[]): protobuf.Type => {
    let types = top
    let type: protobuf.Type | undefined
    for (const i of indexes) {
      type = types[i]
      if (!type) throw new Error(`message index ${indexes.join('.')} is not in the schema`)
      types = messagesOf(type)
    }
    return type!
  }

  return {
    format: 'protobuf',
    decode(payload) {
      const reader = protobuf.Reader.create(payload)
      const count = reader.sint32()
      const indexes = count === 0 ? [0] : Array.from({length: count}, () => reader.sint32())
      const type = typeAt(indexes)
      const message = type.decode(reader)
      return type.toObject(message, jsonOptions)
    },
    encode(value) {
      const type = top[0]!
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new Error(`does not fit the Protobuf message ${type.name}: not an object`)
      }
      const unknown = Object.keys(value).find((k) => !type.fields[k])
      if (unknown) throw new Error(`does not fit the Protobuf message ${type.name}: no field ${unknown}`)
      const why = misfitIn(type, value as {[k: string]: unknown})
      if (why) throw new Error(`does not fit the Protobuf message ${type.name} at ${why}`)
      let message: protobuf.Message
      try {
        message = type.fromObject(withTimestamps(type, value as {[k: string]: unknown}))
      } catch (error) {
        throw new Error(`does not fit the Protobuf message ${type.name}: ${(error as Error).message}`, {cause: error})
      }
      const problem = type.verify(message)
      if (problem) throw new Error(`does not fit the Protobuf message ${type.name}: ${problem}`)
      // Message index [0] (the first message), written as a single 0.
      return Buffer.concat([Buffer.of(0), type.encode(message).finish()])
    },
  }
}
