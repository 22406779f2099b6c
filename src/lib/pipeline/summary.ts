import type {Outcome} from './topology.js'

export interface PipelineCounts {
  read: number
  alerts: number
  deadLetters: number
  /** Records dropped on purpose, by reason: filtered, unassigned, no-slack-user, ... */
  dropped: Record<string, number>
}

/** Counts what happened to every record, per pipeline (alert type or table). */
export class Summary {
  readonly pipelines: Record<string, PipelineCounts> = {}
  records = 0
  unrouted = 0

  add(outcomes: Outcome[]): void {
    this.records++
    for (const outcome of outcomes) {
      if (outcome.kind === 'unrouted') {
        this.unrouted++
        continue
      }
      const counts = (this.pipelines[outcome.pipeline] ??= {read: 0, alerts: 0, deadLetters: 0, dropped: {}})
      counts.read++
      if (outcome.kind === 'alert') counts.alerts++
      else if (outcome.kind === 'dead-letter') counts.deadLetters++
      else if (outcome.kind === 'dropped') counts.dropped[outcome.reason] = (counts.dropped[outcome.reason] ?? 0) + 1
    }
  }

  get totals(): {alerts: number; deadLetters: number; dropped: Record<string, number>} {
    const totals = {alerts: 0, deadLetters: 0, dropped: {} as Record<string, number>}
    for (const counts of Object.values(this.pipelines)) {
      totals.alerts += counts.alerts
      totals.deadLetters += counts.deadLetters
      for (const [reason, n] of Object.entries(counts.dropped)) totals.dropped[reason] = (totals.dropped[reason] ?? 0) + n
    }
    return totals
  }

  toJSON(): object {
    return {records: this.records, unrouted: this.unrouted, ...this.totals, pipelines: this.pipelines}
  }
}
