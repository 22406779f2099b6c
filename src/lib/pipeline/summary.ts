import type {Outcome} from './topology.js'

export interface PipelineCounts {
  read: number
  alerts: number
  deadLetters: number
  /** Records dropped on purpose, by reason: filtered, unassigned, no-slack-user, ... */
  dropped: Record<string, number>
  /** Alert types with incidents only: incidents opened (each also an alert), updates, and resolutions among them. */
  incidents?: number
  updates?: number
  resolved?: number
}

/** The counts only alert types with incidents have, in the order they are shown. */
export const INCIDENT_COUNTS = ['incidents', 'updates', 'resolved'] as const

/** A summary's counts as plain data: what a replay shard sends back from its thread. */
export interface SummaryCounts {
  records: number
  unrouted: number
  /** Records on topics no pipeline reads, by topic. */
  unroutedTopics: Record<string, number>
  pipelines: Record<string, PipelineCounts>
}

/** Counts what happened to every record, per pipeline (alert type or table). */
export class Summary implements SummaryCounts {
  pipelines: Record<string, PipelineCounts> = {}
  records = 0
  unrouted = 0
  unroutedTopics: Record<string, number> = {}

  /** A record's outcomes; `record: false` for the rest of a record already counted (enrich's repartitioned alert types). */
  add(outcomes: Outcome[], record = true): void {
    if (record) this.records++
    for (const outcome of outcomes) {
      if (outcome.kind === 'unrouted') {
        this.unrouted++
        this.unroutedTopics[outcome.topic] = (this.unroutedTopics[outcome.topic] ?? 0) + 1
        continue
      }
      const counts = (this.pipelines[outcome.pipeline] ??= {read: 0, alerts: 0, deadLetters: 0, dropped: {}})
      counts.read++
      if (outcome.kind === 'alert') {
        counts.alerts++
        if (outcome.incident) counts.incidents = (counts.incidents ?? 0) + 1
      } else if (outcome.kind === 'update') {
        counts.updates = (counts.updates ?? 0) + 1
        if (outcome.resolved) counts.resolved = (counts.resolved ?? 0) + 1
      } else if (outcome.kind === 'dead-letter') counts.deadLetters++
      else if (outcome.kind === 'dropped') counts.dropped[outcome.reason] = (counts.dropped[outcome.reason] ?? 0) + 1
    }
  }

  /** Adds another summary's counts (a shard's share of the same records). */
  merge(other: SummaryCounts): void {
    this.records += other.records
    this.unrouted += other.unrouted
    for (const [topic, n] of Object.entries(other.unroutedTopics))
      this.unroutedTopics[topic] = (this.unroutedTopics[topic] ?? 0) + n
    for (const [name, theirs] of Object.entries(other.pipelines)) {
      const counts = (this.pipelines[name] ??= {read: 0, alerts: 0, deadLetters: 0, dropped: {}})
      counts.read += theirs.read
      counts.alerts += theirs.alerts
      counts.deadLetters += theirs.deadLetters
      for (const [reason, n] of Object.entries(theirs.dropped))
        counts.dropped[reason] = (counts.dropped[reason] ?? 0) + n
      for (const name of INCIDENT_COUNTS)
        if (theirs[name] !== undefined) counts[name] = (counts[name] ?? 0) + theirs[name]
    }
  }

  /**
   * Lists the pipelines in `order` (the topology's), then any others, and each one's drop reasons
   * in `reasons` order (the alert types' declared ones), then any others by name: the same
   * summary whichever shard met a pipeline or a reason first.
   */
  orderBy(order: readonly string[], reasons: readonly string[] = []): this {
    const ranked = (names: readonly string[]) => (a: string, b: string) => {
      const rank = (name: string) => (names.includes(name) ? names.indexOf(name) : names.length)
      return rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0)
    }
    const byName = ranked(order)
    const byReason = ranked(reasons)
    this.pipelines = Object.fromEntries(Object.entries(this.pipelines).sort(([a], [b]) => byName(a, b)))
    for (const counts of Object.values(this.pipelines))
      counts.dropped = Object.fromEntries(Object.entries(counts.dropped).sort(([a], [b]) => byReason(a, b)))
    return this
  }

  counts(): SummaryCounts {
    return {
      records: this.records,
      unrouted: this.unrouted,
      unroutedTopics: this.unroutedTopics,
      pipelines: this.pipelines,
    }
  }

  get totals(): {alerts: number; deadLetters: number; dropped: Record<string, number>} & Partial<
    Record<(typeof INCIDENT_COUNTS)[number], number>
  > {
    const totals: {alerts: number; deadLetters: number; dropped: Record<string, number>} & Partial<
      Record<(typeof INCIDENT_COUNTS)[number], number>
    > = {alerts: 0, deadLetters: 0, dropped: {}}
    for (const counts of Object.values(this.pipelines)) {
      totals.alerts += counts.alerts
      totals.deadLetters += counts.deadLetters
      for (const name of INCIDENT_COUNTS)
        if (counts[name] !== undefined) totals[name] = (totals[name] ?? 0) + counts[name]
      for (const [reason, n] of Object.entries(counts.dropped))
        totals.dropped[reason] = (totals.dropped[reason] ?? 0) + n
    }
    return totals
  }

  toJSON(): object {
    return {
      records: this.records,
      unrouted: this.unrouted,
      unroutedTopics: this.unroutedTopics,
      ...this.totals,
      pipelines: this.pipelines,
    }
  }
}
