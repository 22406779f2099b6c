import {hash} from 'node:crypto'
import type {z} from 'zod'

import {formatIssue} from '../format-issue.js'
import type {JsonObject, TopicRecord} from '../records/record.js'
import type {AlertContent} from './content.js'
import {tableKey, type TableSpec, type TableStore} from './table.js'

/** What every step sees: the decoded event and its record, plus what earlier steps added. */
export interface BaseContext<E = JsonObject> {
  event: E
  record: TopicRecord
}

/**
 * A step's verdict on a record it does not pass on. Steps that pass a record on add to the
 * context in place: each record gets a fresh context per alert type, and copying it at every
 * step was a large share of replay's time.
 */
export class Stop {
  constructor(
    readonly kind: 'drop' | 'dead-letter',
    readonly reason: string,
    /** What `--explain` says beyond the reason: which step, which key was looked up. */
    readonly detail?: string,
  ) {}
}

type Step = (ctx: any, tables: TableStore) => any | Stop

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
}

/**
 * The DSL an alert type is written in, after Kafka Streams':
 * `stream(name, source).filter(...).selectKey(...).validate(...).join(...).message(...).to(sink)`.
 * Steps run in the order written; a step either passes a (richer) context on or stops the record.
 */
export class StreamBuilder<C> {
  constructor(
    private readonly name: string,
    private readonly description: string,
    private readonly source: string,
    private readonly steps: Step[] = [],
    private readonly tables: TableSpec[] = [],
    private readonly dropReasons: string[] = [],
  ) {}

  /** Keeps records the predicate accepts; the rest are dropped as `reason` (not an error). */
  filter(predicate: (ctx: C) => boolean, reason = 'filtered'): StreamBuilder<C> {
    const stop = new Stop('drop', reason, `by step ${this.steps.length + 1}: filter(${sourceOf(predicate)})`)
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

  /** Ends the stream: what the alert says, and the topic it goes to. */
  message(message: (ctx: C) => AlertContent): {to(sink: string): AlertType} {
    return {
      to: (sink) => ({
        name: this.name,
        description: this.description,
        source: this.source,
        sink,
        tables: this.tables,
        steps: this.steps,
        dropReasons: this.dropReasons,
        message,
      }),
    }
  }

  private with<N>(
    step: (ctx: any, tables: TableStore) => N | Stop,
    table?: TableSpec,
    dropReason?: string,
  ): StreamBuilder<any> {
    const tables = table && !this.tables.includes(table) ? [...this.tables, table] : this.tables
    const reasons =
      dropReason && !this.dropReasons.includes(dropReason) ? [...this.dropReasons, dropReason] : this.dropReasons
    return new StreamBuilder(this.name, this.description, this.source, [...this.steps, step], tables, reasons)
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
  return new StreamBuilder(name, description, source)
}

/**
 * A deterministic alert id: the same alert type and event always give the same id, so delivery
 * can deduplicate. Events without an `eventId` are identified by their topic, key and value.
 */
export function alertIdFor(pipeline: string, event: JsonObject, record: TopicRecord): string {
  // One-shot hash of the same bytes as before (ids must not change): much faster than createHash.
  const identity =
    typeof event.eventId === 'string' && event.eventId !== ''
      ? `event\0${event.eventId}`
      : `record\0${record.topic}\0${record.key ?? ''}\0${JSON.stringify(event)}`
  return `fa-${hash('sha256', `${pipeline}\0${identity}`, 'hex').slice(0, 32)}`
}
