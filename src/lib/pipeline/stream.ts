import {hash} from 'node:crypto'
import type {z} from 'zod'

import {formatIssue} from '../format-issue.js'
import type {JsonObject, TopicRecord} from '../records/record.js'
import type {AlertContent} from './content.js'
import {historyStep, type HistoryCounts, type HistoryOptions} from './history.js'
import {incidentSpec, type IncidentOptions, type IncidentSpec} from './incidents.js'
import type {StateStore} from './state.js'
import {Stop} from './stop.js'
import {tableKey, type TableSpec, type TableStore} from './table.js'

export {Stop} from './stop.js'

/** What every step sees: the decoded event and its record, plus what earlier steps added. */
export interface BaseContext<E = JsonObject> {
  event: E
  record: TopicRecord
}

export type Step = (ctx: any, tables: TableStore, state: StateStore) => any | Stop

/** How `join` finds its row and where it puts it: `join(table, {key, as, missing})`. */
export interface JoinOptions<C, A extends string> {
  /** The lookup key, taken from the context; none (or no row under it) drops the record. */
  key: (ctx: C) => string | null | undefined
  /** The context field the row is put in: `ctx[as]`, typed as the table's row. */
  as: A
  /** The drop reason when there is no row: `unassigned`, `no-slack-user`, ... */
  missing: string
}

/** A compiled alert type: run by the topology, built by `stream()`. */
export interface AlertType {
  name: string
  description: string
  source: string
  sink: string
  /** The tables this alert type joins, so a runner loads exactly those. */
  tables: TableSpec[]
  steps: Step[]
  /** The reasons its steps drop records for (`filtered`, `unassigned`, ...): what `--only` may name. */
  dropReasons?: readonly string[]
  message: (ctx: any) => AlertContent
  /** Present when its alerts are grouped into incidents: one alert per incident, then updates. */
  incidents?: IncidentSpec
  /** Whether it keeps state from one event to the next (incidents, histories). */
  stateful: boolean
}

interface Parts {
  name: string
  description: string
  source: string
  steps: Step[]
  tables: TableSpec[]
  dropReasons: string[]
  incidents?: IncidentSpec
  stateful: boolean
}

/**
 * The DSL an alert type is written in, after Kafka Streams':
 * `stream(name, source).filter(...).selectKey(...).validate(...).join(...).message(...).to(sink)`.
 * Steps run in the order written; a step either passes a (richer) context on or stops the record.
 */
export class StreamBuilder<C> {
  constructor(private readonly parts: Parts) {}

  /** Keeps records the predicate accepts; the rest are dropped as `reason` (not an error). */
  filter(predicate: (ctx: C) => boolean, reason = 'filtered'): StreamBuilder<C> {
    const stop = new Stop('drop', reason, `by step ${this.parts.steps.length + 1}: filter(${sourceOf(predicate)})`)
    return this.with((ctx) => (predicate(ctx) ? ctx : stop), undefined, reason)
  }

  /** Chooses the key later steps join on; none is a dead letter saying `what` was missing. */
  selectKey(select: (ctx: C) => unknown, what: string): StreamBuilder<C & {key: string}> {
    return this.with((ctx) => {
      const key = select(ctx)
      if (typeof key !== 'string' || key.length === 0) return new Stop('dead-letter', `no ${what}`)
      ctx.key = key
      return ctx
    })
  }

  /** Checks the event against a schema; a failure is a dead letter naming the field. */
  validate<E>(schema: z.ZodType<E>): StreamBuilder<Omit<C, 'event'> & {event: E}> {
    return this.with((ctx) => {
      const parsed = schema.safeParse(ctx.event)
      if (!parsed.success) return new Stop('dead-letter', formatIssue(parsed.error))
      ctx.event = parsed.data
      return ctx
    })
  }

  /**
   * Joins the table row under `key` (taken from the context) as context field `as`; no row
   * drops the record as `missing`.
   */
  join<V, A extends string>(table: TableSpec<V>, options: JoinOptions<C, A>): StreamBuilder<C & {[P in A]: V}>
  /** @deprecated Name the arguments: `join(table, {key, as, missing})`. */
  join<V, A extends string>(
    table: TableSpec<V>,
    key: JoinOptions<C, A>['key'],
    as: A,
    missing: string,
  ): StreamBuilder<C & {[P in A]: V}>
  join<V, A extends string>(
    table: TableSpec<V>,
    options: JoinOptions<C, A> | JoinOptions<C, A>['key'],
    as?: A,
    missing?: string,
  ): StreamBuilder<C & {[P in A]: V}> {
    // Resolved once here: each record runs the same step whichever form was written.
    const by = typeof options === 'function' ? {key: options, as: as!, missing: missing!} : options
    const {key, as: field} = by
    const noKey = new Stop('drop', by.missing, `no key to look up in ${table.name}`)
    return this.with(
      (ctx, tables) => {
        const lookup = key(ctx)
        if (!lookup) return noKey
        const row = tables.get(table, lookup)
        if (row === undefined)
          return new Stop('drop', by.missing, `${table.name} has no row for ${quote(tableKey(table, lookup))}`)
        ctx[field] = row
        return ctx
      },
      table,
      by.missing,
    )
  }

  /**
   * Keeps an aggregate per key over the events that reach this step (a count with first and last
   * seen by default, or `reduce` from `initial`), this event included, as context field `as`.
   */
  history<A extends string = 'history', S = HistoryCounts>(
    options: HistoryOptions<C, S, A>,
  ): StreamBuilder<C & {[P in A]: S}> {
    const next = this.with(historyStep(this.parts.name, options))
    return new StreamBuilder({...next.parts, stateful: true})
  }

  /**
   * Groups the alerts into incidents per state key: the first event that would alert opens one
   * and alerts; later ones within `window` of it update that alert instead; `resolve` closes it.
   * Where it is written does not matter: it applies to the events that pass every step.
   */
  incidents(options: IncidentOptions): StreamBuilder<C> {
    return new StreamBuilder({...this.parts, incidents: incidentSpec(options), stateful: true})
  }

  /** Ends the stream: what the alert says, and the topic it goes to. */
  message(message: (ctx: C) => AlertContent): {to(sink: string): AlertType} {
    const {name, description, source, tables, steps, incidents, stateful} = this.parts
    // A resolving event with no incident open is dropped as this (a fate `--only` may name), after the steps' reasons wherever `incidents` was written.
    const dropReasons = incidents?.resolve ? [...this.parts.dropReasons, 'no-open-incident'] : this.parts.dropReasons
    return {
      to: (sink) => ({name, description, source, sink, tables, steps, dropReasons, message, incidents, stateful}),
    }
  }

  private with<N>(
    step: (ctx: any, tables: TableStore, state: StateStore) => N | Stop,
    table?: TableSpec,
    dropReason?: string,
  ): StreamBuilder<any> {
    const {tables, steps, dropReasons} = this.parts
    const joined = table && !tables.includes(table) ? [...tables, table] : tables
    const reasons = dropReason && !dropReasons.includes(dropReason) ? [...dropReasons, dropReason] : dropReasons
    return new StreamBuilder({...this.parts, steps: [...steps, step], tables: joined, dropReasons: reasons})
  }
}

/** A predicate's source on one line, cut short: enough to tell the filters of an alert type apart. */
function sourceOf(predicate: (...args: never[]) => unknown): string {
  const text = String(predicate).replace(/\s+/g, ' ')
  return text.length > 100 ? `${text.slice(0, 99)}…` : text
}

const quote = (text: string) => JSON.stringify(text)

/** Starts an alert type on a source topic (a logical name from the config's `topics`). */
export function stream(name: string, source: string, description = ''): StreamBuilder<BaseContext> {
  return new StreamBuilder({name, description, source, steps: [], tables: [], dropReasons: [], stateful: false})
}

/**
 * A deterministic alert id: the same alert type and event always give the same id, so delivery
 * can deduplicate. Events without an `eventId` are identified by their topic, key and value, and
 * with `at` (the event time of one that opens an incident) by that too: a failure that repeats an
 * earlier one's value exactly, after that incident closed, is a new incident with a DM of its own.
 */
export function alertIdFor(pipeline: string, event: JsonObject, record: TopicRecord, at?: number): string {
  // One-shot hash of the same bytes as before (ids must not change): much faster than createHash.
  const identity =
    typeof event.eventId === 'string' && event.eventId !== ''
      ? `event\0${event.eventId}`
      : `record\0${record.topic}\0${record.key ?? ''}\0${JSON.stringify(event)}${at === undefined ? '' : `\0${at}`}`
  return `fa-${hash('sha256', `${pipeline}\0${identity}`, 'hex').slice(0, 32)}`
}
