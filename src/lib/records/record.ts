/**
 * A topic record as every part of fa sees it, whether it came from Kafka or a fixture line.
 *
 * `value` keeps the form it arrived in so nothing is decoded twice and dead letters keep the
 * original bytes: `null` is a tombstone, a string or Uint8Array is raw bytes, and any other
 * object is JSON that a fixture already parsed (its bytes are its JSON text).
 */
export type Payload = null | string | Uint8Array | JsonObject | unknown[]
export type JsonObject = {[key: string]: unknown}
export type Headers = Record<string, string>
/** Headers as they came off the wire: bytes, and every value of a name the record repeats, in order. */
export type WireHeaders = Record<string, Uint8Array | string | Array<Uint8Array | string> | undefined>

export type Origin =
  {kind: 'fixture'; file: string; line: number} | {kind: 'kafka'; partition: number; offset: string} | {kind: 'derived'}

export interface TopicRecord {
  topic: string
  key: string | null
  value: Payload
  headers: Headers
  /** ISO-8601; absent when the source had none. */
  timestamp?: string
  origin: Origin
  /**
   * A record read from Kafka (and its dead letter): the key's bytes and every header exactly as
   * read, so a dead letter keeps them byte for byte (`key` and `headers` are their UTF-8 text,
   * the last value of a repeated header). `value` is set when a Schema Registry format was
   * decoded into the record's `value`: the bytes as read, which a dead letter writes untouched.
   */
  wire?: {key: Uint8Array | null; headers: WireHeaders; value?: Uint8Array | null}
}

export function isRawPayload(value: Payload): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array
}

/** Raw bytes as a Buffer over the same memory (`Buffer.from(bytes)` would copy them). */
export function bytesView(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Raw bytes as the UTF-8 text they hold. */
export function rawText(value: string | Uint8Array): string {
  return typeof value === 'string' ? value : bytesView(value).toString('utf8')
}

export type Decoded = {ok: true; value: JsonObject} | {ok: false; reason: string}

/** Decodes a value that must be a JSON object; says why when it is not. */
export function decodeJsonObject(value: Payload): Decoded {
  let parsed: unknown = value
  if (value === null) return {ok: false, reason: 'value is a tombstone (null), expected a JSON object'}
  if (isRawPayload(value)) {
    try {
      parsed = JSON.parse(rawText(value))
    } catch (error) {
      return {ok: false, reason: `value is not valid JSON: ${(error as Error).message}`}
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {ok: false, reason: `value is JSON ${describeJson(parsed)}, expected a JSON object`}
  }
  return {ok: true, value: parsed as JsonObject}
}

function describeJson(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Where a record came from, for error messages: `file:line` or `topic[partition]@offset`. */
export function describeOrigin(record: Pick<TopicRecord, 'topic' | 'origin'>): string {
  const {origin} = record
  switch (origin.kind) {
    case 'fixture':
      return `${origin.file}:${origin.line}`
    case 'kafka':
      return `${record.topic}[${origin.partition}]@${origin.offset}`
    case 'derived':
      return record.topic
  }
}
