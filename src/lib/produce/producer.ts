import {createHash} from 'node:crypto'
import type {z} from 'zod'

import {FaError} from '../errors.js'
import {formatIssue} from '../format-issue.js'
import type {JsonObject} from '../records/record.js'

export const WINDOW_PARAMS = ['since', 'until'] as const
export type WindowParam = (typeof WINDOW_PARAMS)[number]

/** What `fa produce NAME` runs: a query, and how each of its rows becomes one event. */
export interface ProducerSpec<Row = any> {
  /** Also the job's `producer` label: lowercase letters, digits, `_` and `-`. */
  name: string
  description: string
  /** The SQL, or the URL of a .sql file: `new URL('./usage.sql', import.meta.url)`. */
  sql: string | URL
  /** The window bounds the SQL takes, as TIMESTAMP parameters `@since` and `@until`. */
  params: readonly WindowParam[]
  /** A logical topic name: a key of the config's `topics` (e.g. 'onboarding'). */
  topic: string
  /** Set as `eventType` in every event's value. */
  eventType: string
  /** Every row (as plain JSON, see bigquery/convert.ts) is checked against it first. */
  row: z.ZodType<Row>
  /** What identifies the fact a row states (e.g. org id and start time); the event id derives from it. */
  naturalKey(row: Row): readonly string[]
  /** The record's key and value; fa sets `eventId` and `eventType` in the value. */
  toEvent(row: Row, meta: {eventId: string}): {key: string; value: JsonObject}
  /**
   * The events' schema, registered under `<topic>-value` on first use; events are then written
   * in its wire format. `schema`: the text, a URL of a file (`.avsc`, `.proto`, `.json`), or an
   * Avro / JSON Schema as an object. Without it, a topic whose subject exists gets its latest schema.
   */
  schema?: {type: 'avro' | 'protobuf' | 'json-schema'; schema: string | URL | object}
}

export interface ProducedEvent {
  eventId: string
  key: string
  value: JsonObject
}

export type EventResult = {ok: true; event: ProducedEvent} | {ok: false; reason: string}

export interface Producer<Row = any> extends ProducerSpec<Row> {
  /** One row's event, or why the row cannot be one (it fails `row`, or has no natural key). */
  event(row: JsonObject): EventResult
}

/** Declares a producer (built-in or a user module's default export), checking the spec. */
export function defineProducer<Row>(spec: ProducerSpec<Row>): Producer<Row> {
  const where = `producer "${spec.name}"`
  if (typeof spec.name !== 'string' || !/^[a-z][a-z0-9_-]{0,62}$/.test(spec.name)) {
    throw new FaError(`${where}: the name must be 1-63 lowercase letters, digits, "_" or "-", starting with a letter`, {
      hint: 'it is also a BigQuery job label',
    })
  }
  const unknown = spec.params.filter((param) => !WINDOW_PARAMS.includes(param))
  if (unknown.length > 0)
    throw new FaError(`${where}: unknown params ${unknown.join(', ')}`, {
      hint: `params may be ${WINDOW_PARAMS.join(', ')}`,
    })
  if (typeof spec.sql === 'string') checkSql(spec.name, spec.sql, spec.params)
  return {
    ...spec,
    event(row) {
      const parsed = spec.row.safeParse(row)
      if (!parsed.success) return {ok: false, reason: `${where}: row ${formatIssue(parsed.error)}`}
      const naturalKey = spec.naturalKey(parsed.data)
      if (naturalKey.length === 0 || naturalKey.some((part) => typeof part !== 'string' || part === '')) {
        return {ok: false, reason: `${where}: row has an empty natural key`}
      }
      const eventId = eventIdFor(spec.name, naturalKey)
      const {key, value} = spec.toEvent(parsed.data, {eventId})
      // eventId and eventType first for people reading the topic; fa's values win.
      return {
        ok: true,
        event: {
          eventId,
          key,
          value: Object.assign({eventId, eventType: spec.eventType}, value, {eventId, eventType: spec.eventType}),
        },
      }
    },
  }
}

/**
 * The event id of a fact: the same producer and natural key always give the same id, so
 * overlapping windows and retried runs produce duplicates that downstream recognizes.
 */
export function eventIdFor(producer: string, naturalKey: readonly string[]): string {
  // JSON keeps the parts apart: ['a|b'] and ['a', 'b'] hash differently.
  const digest = createHash('sha256')
    .update(JSON.stringify([producer, ...naturalKey]))
    .digest('hex')
  return `${producer}-${digest.slice(0, 32)}`
}

/** Declared parameters and the ones the SQL uses must match: BigQuery refuses a missing one. */
export function checkSql(name: string, sql: string, params: readonly WindowParam[]): void {
  for (const param of WINDOW_PARAMS) {
    const used = new RegExp(`(?<![@\\w])@${param}\\b`).test(sql)
    if (used && !params.includes(param))
      throw new FaError(`producer "${name}": the SQL uses @${param} but params does not list "${param}"`)
    if (!used && params.includes(param))
      throw new FaError(`producer "${name}": params lists "${param}" but the SQL never uses @${param}`)
  }
}
