import {z} from 'zod'

import {rawText, type Origin, type Payload, type TopicRecord} from './record.js'

/**
 * The JSON envelope of a record, shared by fixtures and every `--json` output:
 * `{"topic", "key", "value", "headers", "timestamp"}`.
 */
export const envelopeSchema = z.object({
  topic: z.string({error: 'topic is required and must be a string'}).min(1, 'topic must not be empty'),
  key: z.string().nullable().default(null),
  // A custom check, not a union of array/record schemas: those would walk every field of every value.
  value: z
    .custom<Payload>((v) => v === null || typeof v === 'string' || (typeof v === 'object' && v !== undefined), 'must be a JSON object, array, string, or null')
    .default(null),
  headers: z.record(z.string(), z.string()).default({}),
  timestamp: z.iso.datetime({offset: true, error: 'timestamp must be an ISO-8601 date-time'}).optional(),
})

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
  const parsed = envelopeSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.join('.')
    return {ok: false, reason: field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message}
  }
  const {topic, key, value, headers, timestamp} = parsed.data
  return {ok: true, record: {topic, key, value, headers, timestamp, origin}}
}

/** The envelope of a record: JSON values stay JSON, raw bytes become a UTF-8 string. */
export function toEnvelope(record: TopicRecord): Envelope {
  const {topic, key, value, headers, timestamp} = record
  const envelope: Envelope = {topic, key, value: value instanceof Uint8Array ? rawText(value) : value}
  if (Object.keys(headers).length > 0) envelope.headers = headers
  if (timestamp !== undefined) envelope.timestamp = timestamp
  return envelope
}
