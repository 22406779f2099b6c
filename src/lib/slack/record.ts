import {Header} from '../records/headers.js'
import {decodeJsonObject, type Decoded, type JsonObject, type TopicRecord} from '../records/record.js'
import {validateSlackMessage, type ValidationResult} from './validate.js'

/**
 * A slack-messages record's value as the Slack message it carries. One decoded from a registry
 * format (its wire bytes kept beside it) has its null fields dropped: an Avro optional field
 * that is null is absent, as in fa's own schema (schema/own-schemas.ts), and Slack takes no nulls.
 */
export function readSlackMessage(record: TopicRecord): {decoded: Decoded; checked: ValidationResult} {
  const json = decodeJsonObject(record.value)
  const decoded =
    json.ok && record.wire?.value !== undefined ? {ok: true as const, value: withoutNulls(json.value)} : json
  if (!decoded.ok) return {decoded, checked: decoded}
  return {decoded, checked: withRevision(validateSlackMessage(decoded.value), record.headers[Header.revision])}
}

/** The message with its revision as value and header give it: set for an update, absent for the post. */
function withRevision(checked: ValidationResult, header: string | undefined): ValidationResult {
  if (!checked.ok) return checked
  const revised = revisionOf(header, checked.message.revision)
  if (!revised.ok) return revised
  const {revision: _given, ...message} = checked.message
  return {ok: true, message: revised.revision > 0 ? {...message, revision: revised.revision} : message}
}

/** Whether an incident's update is its final one, which resolved it (fa enrich's `fa-resolved` header). */
export function isResolution(record: TopicRecord): boolean {
  return record.headers[Header.resolved] === 'true'
}

/** The update an invalid record says it is (its outcome is recorded under it, never under its post's key). */
export function claimedRevision(record: TopicRecord, payload: JsonObject): number | undefined {
  const header = record.headers[Header.revision]
  return [payload.revision, header === undefined ? undefined : Number(header)].find(
    (n): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0,
  )
}

function withoutNulls(value: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [key, item] of Object.entries(value)) if (item !== null) out[key] = strip(item)
  return out
}

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip)
  return value !== null && typeof value === 'object' ? withoutNulls(value as JsonObject) : value
}

/**
 * An alert record's revision, from its value's `revision` and its `fa-revision` header (fa enrich
 * writes both): either alone counts, and the two must agree. 0 (or neither) is the post itself.
 */
function revisionOf(
  header: string | undefined,
  value: number | undefined,
): {ok: true; revision: number} | {ok: false; reason: string} {
  if (header === undefined) return {ok: true, revision: value ?? 0}
  if (!/^\d+$/.test(header.trim()) || !Number.isSafeInteger(Number(header)))
    return {ok: false, reason: `header fa-revision: must be a whole number, got ${JSON.stringify(header)}`}
  const fromHeader = Number(header)
  if (value !== undefined && value !== fromHeader)
    return {ok: false, reason: `revision: ${value} differs from header fa-revision ${fromHeader}`}
  return {ok: true, revision: fromHeader}
}
