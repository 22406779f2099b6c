import {closest, distance} from 'fastest-levenshtein'
import {z} from 'zod'

import {rawText, type Origin, type Payload, type TopicRecord} from './record.js'

const isoDateTime = z.iso.datetime({offset: true})
const zoneless = z.iso.datetime({local: true})
// Fixtures repeat timestamps: skip the regex for the one just seen valid.
let lastValidTimestamp = ''
function isTimestamp(text: string): boolean {
  if (text === lastValidTimestamp) return true
  if (!isoDateTime.safeParse(text).success) return false
  lastValidTimestamp = text
  return true
}

/**
 * The JSON envelope of a record, shared by fixtures and every `--json` output:
 * `{"topic", "key", "value", "headers", "timestamp"}`. Every record of a fixture goes through
 * it, so it is kept lean: defaults are applied after parsing (zod's cost more than the check).
 */
export const envelopeSchema = z.strictObject({
  topic: z.string({error: 'topic is required and must be a string'}).min(1, 'topic must not be empty'),
  key: z.string().nullable().optional(),
  // A custom check, not a union of array/record schemas: those would walk every field of every value.
  value: z
    .custom<Payload>(
      (v) => v === null || typeof v === 'string' || (typeof v === 'object' && v !== undefined),
      'must be a JSON object, array, string, or null',
    )
    .optional(),
  headers: z.record(z.string(), z.string()).optional(),
  timestamp: z
    .string()
    .check((ctx) => {
      if (isTimestamp(ctx.value)) return
      const message = zoneless.safeParse(ctx.value).success
        ? `timestamp ${ctx.value} has no zone: add Z for UTC or an offset such as +01:00`
        : 'timestamp must be an ISO-8601 date-time with a zone, e.g. 2026-11-24T10:00:00Z'
      ctx.issues.push({code: 'custom', message, input: ctx.value})
    })
    .optional(),
})

export const ENVELOPE_KEYS = ['topic', 'key', 'value', 'headers', 'timestamp'] as const

export type Envelope = {
  topic: string
  key: string | null
  value: unknown
  headers?: Record<string, string>
  timestamp?: string
}

export type ParsedLine = {ok: true; record: TopicRecord} | {ok: false; reason: string}

/** Parses one fixture line; the caller adds file and line to the reason. */
export function parseEnvelopeLine(line: string, origin: Origin): ParsedLine {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (error) {
    return {ok: false, reason: `not valid JSON: ${(error as Error).message}`}
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return {ok: false, reason: 'a record must be a JSON object with at least "topic"'}
  }
  if (isPlainEnvelope(json)) return {ok: true, record: recordOf(json, origin)}
  const parsed = envelopeSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    if (issue.code === 'unrecognized_keys') return {ok: false, reason: unknownKeys(issue.keys)}
    const field = issue.path.join('.')
    return {ok: false, reason: field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message}
  }
  return {ok: true, record: recordOf(parsed.data, origin)}
}

/** `"vaule"` must not pass for a record without a value (a tombstone): name it, and what was meant. */
function unknownKeys(keys: string[]): string {
  const named = keys.map((key) => {
    const near = closest(key, [...ENVELOPE_KEYS])
    return distance(key, near) <= 2 ? `"${key}" (did you mean "${near}"?)` : `"${key}"`
  })
  return `unknown key${keys.length === 1 ? '' : 's'} ${named.join(', ')}: a record has only ${ENVELOPE_KEYS.join(', ')}`
}

type EnvelopeInput = z.output<typeof envelopeSchema>

function recordOf(
  {topic, key = null, value = null, headers = {}, timestamp}: EnvelopeInput,
  origin: Origin,
): TopicRecord {
  return {topic, key, value, headers, timestamp, origin}
}

/**
 * The envelope schema's verdict on the common record, checked by hand: zod's checks cost a
 * quarter of JSON.parse per fixture line. Whatever this does not accept goes to the schema,
 * which decides and explains; a property test holds the two to the same answer.
 */
export function isPlainEnvelope(json: object): json is EnvelopeInput {
  for (const name in json) if (!isEnvelopeKey(name)) return false
  const {topic, key, value, headers, timestamp} = json as Record<string, unknown>
  return (
    typeof topic === 'string' &&
    topic !== '' &&
    (key === undefined || key === null || typeof key === 'string') &&
    (value === undefined || value === null || typeof value === 'string' || typeof value === 'object') &&
    (headers === undefined || isStringRecord(headers)) &&
    (timestamp === undefined || (typeof timestamp === 'string' && isTimestamp(timestamp)))
  )
}

function isEnvelopeKey(name: string): boolean {
  return name === 'topic' || name === 'key' || name === 'value' || name === 'headers' || name === 'timestamp'
}

function isStringRecord(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false
  for (const item of Object.values(value)) if (typeof item !== 'string') return false
  return true
}

/** The envelope of a record: JSON values stay JSON, raw bytes become a UTF-8 string. */
export function toEnvelope(record: TopicRecord): Envelope {
  const {topic, key, value, headers, timestamp} = record
  const envelope: Envelope = {topic, key, value: value instanceof Uint8Array ? rawText(value) : value}
  if (Object.keys(headers).length > 0) envelope.headers = headers
  if (timestamp !== undefined) envelope.timestamp = timestamp
  return envelope
}
