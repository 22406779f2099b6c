import {eventTime, stateKey, type EventContext} from './incidents.js'
import type {StateStore} from './state.js'
import {Stop} from './stop.js'

/** The default history of a key: how many events, and the first and last event times (ISO-8601). */
export interface HistoryCounts {
  count: number
  firstSeen: string
  lastSeen: string
  /** With `distinct`: the values counted so far. */
  seen?: string[]
}

/** `.history({key, as, initial, reduce})`: an aggregate per key over the events reaching the step. */
export interface HistoryOptions<C, S, A extends string> {
  /** The state key (an org id); none is a dead letter naming `what`. */
  key: (ctx: C) => unknown
  /** The context field the aggregate is put in; `history` by default. */
  as?: A
  /** What `key` is, for the dead letter when an event has none: `org id`. */
  what?: string
  /**
   * Counts distinct values of this (a cluster id) rather than events: an event seen again (a
   * redelivery, a replay) leaves the counts as they were. Ignored with `reduce`.
   */
  distinct?: (ctx: C) => unknown
  /** A user aggregate instead of the counts: `reduce(initial, ctx)` for a key's first event. */
  initial?: S
  reduce?: (state: S, ctx: C) => S
}

function count(state: HistoryCounts | undefined, ctx: EventContext, value?: string): HistoryCounts {
  if (value !== undefined && state?.seen?.includes(value)) return state
  const at = new Date(eventTime(ctx.record)).toISOString()
  const seen = value === undefined ? {} : {seen: [...(state?.seen ?? []), value]}
  if (!state) return {count: 1, firstSeen: at, lastSeen: at, ...seen}
  // ISO strings of one form order as their times do; an out-of-order event moves only the edge it passes.
  return {
    count: state.count + 1,
    firstSeen: at < state.firstSeen ? at : state.firstSeen,
    lastSeen: at > state.lastSeen ? at : state.lastSeen,
    ...seen,
  }
}

/** The step `history()` adds: it updates the key's aggregate in state, then puts it in the context. */
export function historyStep<C, S, A extends string>(alertType: string, options: HistoryOptions<C, S, A>) {
  const field = options.as ?? 'history'
  const namespace = `${alertType}/history/${field}`
  const stop = new Stop('dead-letter', `no ${options.what ?? 'history key'}`)
  const {reduce, initial, distinct} = options
  return (ctx: any, _tables: unknown, state: StateStore) => {
    const key = stateKey(options.key as (ctx: EventContext) => unknown, ctx)
    if (key === undefined) return stop
    const before = state.get(namespace, key)
    // Each key starts from a copy of `initial`: a reducer may change its state in place.
    const after = reduce
      ? reduce((before ?? structuredClone(initial)) as S, ctx)
      : count(
          before as HistoryCounts | undefined,
          ctx,
          distinct && stateKey(distinct as (ctx: EventContext) => unknown, ctx),
        )
    // A distinct value seen before changes nothing: no changelog record.
    if (reduce || after !== before) state.put(namespace, key, after)
    ctx[field] = after
    return ctx
  }
}
