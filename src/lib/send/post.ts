import {setTimeout as sleep} from 'node:timers/promises'

import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import {Header} from '../records/headers.js'
import type {SlackMessage} from '../slack/blocks.js'
import type {DeliverOptions, DeliveryOutcome} from '../slack/deliver.js'
import type {GroupCommitter} from './commits.js'
import type {Ledger} from './ledger.js'
import {ChannelPacer} from './pacer.js'
import {noPostReason, type RecordedOutcome, type ResponseTable} from './responses.js'
import type {Job, Rejected, RunDeliverer} from './roles.js'
import type {SendCounts} from './summary.js'

/** What `fa send` needs of a Deliverer (src/lib/slack/deliver.ts), so that --dry-run never loads the Slack client. */
export interface DelivererLike {
  deliver(message: SlackMessage, options?: DeliverOptions): Promise<DeliveryOutcome>
  readonly stats: {rateLimited: number; retried: number; foundInHistory: number}
}

export interface SlackPosterOptions {
  deliverer: DelivererLike
  committer: GroupCommitter
  ledger: Ledger
  table: ResponseTable
  counts: SendCounts
  /** slack.perChannelPerSecond and slack.perChannelBurst. */
  pace: {perSecond: number; burst: number}
  log: Logger
  /** Aborted at a stop (the Deliverer's too): waits end at once. */
  stop: AbortSignal
  /** An error that ends the run (auth revoked mid-run, a bug). */
  fail: (error: Error) => void
  /** Delivered and failed alerts are counted here, with their latencies. */
  metrics?: Metrics
  /** Resolves once the responses recorded before `since` (epoch ms) are in the table (TopicFollower.reach). */
  responsesRead?: (since: number) => Promise<unknown>
}

// Kafka and Slack clocks differ; a lookup for an in-doubt alert starts this long before its record's time.
const CLOCK_SKEW_MS = 5 * 60_000

/** Posts each alert through the Deliverer and records every outcome (see commits.ts). */
export class SlackPoster implements RunDeliverer {
  /** Jobs inside deliverer.deliver (at most one per channel). */
  private readonly delivering = new Set<Job>()
  private readonly pacer: ChannelPacer

  constructor(private readonly o: SlackPosterOptions) {
    this.pacer = new ChannelPacer(o.pace.perSecond, o.pace.burst)
  }

  async post(job: Job, channel: string): Promise<void> {
    const {stop, ledger, counts, table} = this.o
    const {state, alertId, revision} = job
    let target = revision > 0 ? table.posted(alertId) : undefined
    if (revision > 0 && !target && this.o.responsesRead) {
      // Its partition may have come from another process, whose record of the post is not read here yet.
      await this.o.responsesRead(job.takenAt ?? Date.now())
      target = table.posted(alertId)
    }
    if (revision > 0 && !target) {
      // Never posted as new: the DM it updates failed (or was never delivered); say so and dead-letter it.
      counts.failed++
      return this.reject({...job, channel, reason: noPostReason(table, alertId, revision)})
    }
    if (job.inDoubt && !target) {
      // Let a request the previous owner still had in flight land (or fail) before looking it up.
      const wait = state.doubt.lookupNotBefore - Date.now()
      if (wait > 0) await sleep(wait, undefined, {signal: stop}).catch(() => undefined)
      if (stop.aborted) return ledger.unfinished(state, job.entry, false)
      counts.inDoubt++
    }
    // Within the channel's rate as Slack counts it (see pacer.ts); the Deliverer then takes its own tokens.
    await this.pacer.ready(channel, stop).catch(() => undefined)
    if (stop.aborted || !(await this.announced(job))) return ledger.unfinished(state, job.entry, false)
    const since = job.record.timestamp ? new Date(Date.parse(job.record.timestamp) - CLOCK_SKEW_MS) : undefined
    const inDoubt = {inDoubt: true, since, settledAt: state.doubt.lookupNotBefore}
    let outcome: DeliveryOutcome
    this.delivering.add(job)
    try {
      outcome = await this.o.deliverer.deliver(job.message, target ? {update: target} : job.inDoubt ? inDoubt : {})
    } catch (error) {
      if (!this.delivering.delete(job)) return // given up on at the end of the stop grace period
      if ((error as Error).name === 'DeliveryAbortedError')
        return ledger.unfinished(state, job.entry, Boolean((error as {inDoubt?: boolean}).inDoubt))
      // An auth error (token revoked mid-run) or a bug: stop the run; this one may have been posted.
      ledger.unfinished(state, job.entry, true)
      this.o.fail(error instanceof Error ? error : new Error(String(error)))
      return
    }
    // Given up on at the end of the stop grace period: already counted as unfinished (in doubt).
    if (!this.delivering.delete(job)) return
    this.pacer.charge(channel, outcome.attempts > 0 ? 1 : 0)
    if (outcome.ok) {
      // Before it is recorded: nothing in this process may post (or apply) it again.
      if (target) table.markApplied(alertId, revision)
      else if (outcome.ts) table.markDelivered(alertId, {channel: outcome.channel, ts: outcome.ts})
      else table.markDelivered(alertId)
      counts.delivered++
    } else {
      counts.failed++
      if (!target) table.markFailed(alertId, outcome.error ?? 'failed')
    }
    this.countOutcome(job, outcome.ok)
    this.record(job, outcome, outcome.ok ? undefined : `Slack: ${outcome.error}`)
  }

  async skip(): Promise<void> {}

  expire(job: Job, channel: string, eventAt: string): void {
    const outcome = {
      alertId: job.alertId,
      ok: false,
      channel,
      ts: null,
      error: 'expired',
      attempts: 0,
      firstAttemptAt: null,
      deliveredAt: null,
      expired: {eventAt},
    }
    this.record(job, outcome, undefined)
  }

  reject(rejected: Rejected): void {
    const {alertId, channel, reason, revision} = rejected
    const outcome: DeliveryOutcome | undefined = alertId
      ? {
          alertId,
          ok: false,
          channel,
          ts: null,
          error: reason,
          attempts: 0,
          firstAttemptAt: null,
          deliveredAt: null,
          ...(revision ? {revision} : {}),
        }
      : undefined
    this.record(rejected, outcome, reason)
  }

  abandon(): void {
    if (this.delivering.size > 0)
      this.o.log.warn('posts still in flight at the end of the grace period: left in doubt for the next run', {
        alerts: this.delivering.size,
      })
    // Their posts may land after we exit: the closing metadata keeps them in doubt.
    for (const job of [...this.delivering]) {
      this.delivering.delete(job)
      this.o.ledger.unfinished(job.state, job.entry, true)
    }
  }

  addStats(counts: SendCounts): void {
    const {stats} = this.o.deliverer
    counts.rateLimited = stats.rateLimited
    counts.retries = stats.retried
    counts.foundInHistory = stats.foundInHistory
  }

  private countOutcome({pipeline, record, takenAt}: Job, ok: boolean): void {
    // Written by fa enrich; an alert from elsewhere (a fixture replayed into slack-messages) has none.
    const producedAt = Number(record.headers[Header.producedAt])
    this.o.metrics?.sendOutcome(pipeline, ok ? 'delivered' : 'failed', {
      eventTime: record.timestamp,
      producedAt: producedAt > 0 ? producedAt : undefined,
      takenAt,
    })
  }

  /** Write-ahead (partitions.ts): a commit lists the alert in doubt before it is posted; retried until said or stopped. */
  private async announced({state, entry}: Job): Promise<boolean> {
    for (let attempt = 0; !this.o.stop.aborted && !state.detached; attempt++) {
      if (await this.o.committer.announce(state, entry)) return true
      await sleep(Math.min(5_000, 250 * 2 ** attempt), undefined, {signal: this.o.stop}).catch(() => undefined)
    }
    return false
  }

  private record(
    {state, entry, record}: Pick<Job, 'state' | 'entry' | 'record'>,
    outcome: RecordedOutcome | undefined,
    deadLetterReason: string | undefined,
  ): void {
    this.o.committer.record(record, outcome, deadLetterReason, (recorded) =>
      recorded ? this.o.ledger.done(state, entry) : this.o.ledger.unfinished(state, entry, Boolean(outcome?.ok)),
    )
  }
}
