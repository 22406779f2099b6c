import type {KafkaMessage} from 'kafkajs'

import {fromKafka} from '../kafka/codec.js'
import {partitionKey, type CommittedOffset, type DrainTracker} from '../kafka/drain.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import {Header} from '../records/headers.js'
import type {RecordDecoder} from '../schema/decoder.js'
import {claimedRevision, readSlackMessage} from '../slack/record.js'
import {ChannelDispatch} from './dispatch.js'
import type {Ledger} from './ledger.js'
import {PartitionState} from './partitions.js'
import type {ResponseTable} from './responses.js'
import type {Job, RunCommitter, RunDeliverer} from './roles.js'
import type {SendCounts} from './summary.js'

/** What intake reads of a kafkajs batch (EachBatchPayload). */
export interface BatchPayload {
  batch: {
    topic: string
    partition: number
    highWatermark: string
    messages: KafkaMessage[]
    lastOffset(): string
  }
  heartbeat(): Promise<void>
  pause(): void
  isStale(): boolean
}

export interface IntakeOptions {
  /** slack-messages */
  topic: string
  /** --channel: every alert to this one. */
  channel?: string
  /** The group's committed offsets of `topic`, with their metadata. */
  committed: () => Promise<Map<string, CommittedOffset>>
  table: ResponseTable
  counts: SendCounts
  ledger: Ledger
  deliverer: RunDeliverer
  committer: RunCommitter
  /** Without --follow: where to stop. */
  drain?: Pick<DrainTracker, 'targetOf' | 'advance'>
  /** Alerts whose event (the record's timestamp) is older are expired, not posted (slack.maxAlertAge). */
  maxAgeMs?: number
  log: Logger
  stop: AbortSignal
  /** Alerts taken on, invalid and skipped are counted here. */
  metrics?: Metrics
  /** Schema Registry formats: slack-messages written in one are decoded first. */
  decoder?: RecordDecoder
}

/**
 * Takes slack-messages on, batch by batch: the state of each partition this process owns (its
 * in-doubt range when it took the partition over, see partitions.ts), validation, the wait for
 * capacity, and each alert's turn on its channel (skipped if it already has a successful response).
 */
export class Intake {
  readonly states = new Map<string, PartitionState>()
  readonly dispatch = new ChannelDispatch<Job>((job, channel) => this.turn(job, channel))
  /** Alerts being posted: the same alert queued on another channel (a payload that changed its recipient) waits. */
  private readonly inflight = new Map<string, Promise<void>>()
  /** Per alert with jobs taken on and not through their turn: the newest revision among them. */
  private readonly queued = new Map<string, {newest: number; jobs: number}>()

  constructor(private readonly o: IntakeOptions) {}

  /** The group gave this member `partitions` (of `topic`): others are no longer ours, ours are checked again. */
  assigned(partitions: Set<number>): void {
    for (const state of this.states.values()) {
      if (!partitions.has(state.partition)) this.detach(state)
      else state.needsCheck = true
    }
  }

  /** A batch of only transaction markers (it never reaches `batch`) still moves the position. */
  markers(topic: string, partition: number, firstOffset: string | null, lastOffset: string): void {
    if (this.o.stop.aborted) return
    const next = Number(lastOffset) + 1
    const state = this.states.get(partitionKey(topic, partition))
    if (state && !state.detached) {
      if (firstOffset === null || Number(firstOffset) <= state.seen) {
        state.seen = Math.max(state.seen, Math.min(next, this.targetOf(partition)))
        this.o.committer.progress(state)
      }
    } else {
      // Nothing taken on from it yet, so everything before `next` is markers: done up to there.
      this.o.drain?.advance(topic, partition, next)
    }
  }

  async batch({batch, heartbeat, pause, isStale}: BatchPayload): Promise<void> {
    const {stop, ledger, committer} = this.o
    if (stop.aborted || isStale()) return
    const {topic, partition} = batch
    const state = await this.stateFor(topic, partition, Number(batch.highWatermark), batch.messages[0])
    if (!state || stop.aborted) return
    // A registry outage waits here: nothing of the batch is taken on until it is back.
    await this.o.decoder?.prepare(topic, batch.messages, {signal: stop, heartbeat})
    if (stop.aborted || isStale()) return
    const target = this.targetOf(partition)
    let complete = true
    for (const message of batch.messages) {
      const offset = Number(message.offset)
      if (offset < state.seen) continue // read again after a rebalance: already taken on
      if (offset >= target) break
      if (ledger.full) await ledger.room(heartbeat)
      if (stop.aborted || state.detached) {
        complete = false
        break
      }
      this.take(state, topic, partition, message)
    }
    if (complete && !stop.aborted && !state.detached)
      state.seen = Math.max(state.seen, Math.min(Number(batch.lastOffset()) + 1, target))
    if (state.seen >= target) pause()
    committer.progress(state)
  }

  /**
   * The partition's state, creating it when this process takes the partition over (first batch
   * after an assignment): reads the committed offset and its metadata (in-doubt range, see
   * partitions.ts). Nothing is posted before the poster has announced it (post.ts).
   */
  private async stateFor(
    topic: string,
    partition: number,
    highWatermark: number,
    first: KafkaMessage | undefined,
  ): Promise<PartitionState | undefined> {
    const {committer, log} = this.o
    const k = partitionKey(topic, partition)
    const existing = this.states.get(k)
    if (existing && !existing.detached && !existing.needsCheck) return existing
    const committed = (await this.o.committed()).get(k) ?? {offset: -1, metadata: null}
    if (existing && !existing.detached) {
      // Still ours if the last commit is ours: nobody else can have posted from it since (they announce first).
      if (committer.owns(committed)) {
        existing.needsCheck = false
        return existing
      }
      log.warn('partition was taken over by another member in between; starting from its committed offset', {
        partition,
        committed: committed.offset,
      })
      this.detach(existing)
    }
    const doubt = committer.doubtOf(committed, highWatermark)
    const start = committed.offset >= 0 ? committed.offset : Number(first?.offset ?? 0)
    const state = new PartitionState(topic, partition, start, doubt)
    if (doubt.ranges.length > 0)
      log.info('taking over a partition with alerts in doubt: they are looked up in Slack before posting', {
        partition,
        offsets: doubt.ranges.map(([from, until]) => `${from}-${until - 1}`).join(','),
      })
    this.states.set(k, state)
    return state
  }

  private detach(state: PartitionState): void {
    if (state.detached) return
    state.detached = true
    clearTimeout(state.commitTimer)
    this.states.delete(partitionKey(state.topic, state.partition))
  }

  private targetOf(partition: number): number {
    if (!this.o.drain) return Infinity
    return this.o.drain.targetOf(this.o.topic, partition) ?? 0
  }

  /** The event time of an alert older than the maximum age (the alert record's timestamp, copied from its event). */
  private expiredAt(job: Job): string | undefined {
    const {maxAgeMs} = this.o
    const {timestamp} = job.record
    if (maxAgeMs === undefined || timestamp === undefined) return undefined
    return Date.now() - Date.parse(timestamp) > maxAgeMs ? timestamp : undefined
  }

  /** Takes one message on: validate, then reject it or queue it on its channel. */
  private take(state: PartitionState, topic: string, partition: number, message: KafkaMessage): void {
    const {counts, ledger} = this.o
    counts.read++
    ledger.take()
    const entry = state.track(Number(message.offset))
    const wire = this.o.decoder?.decode(fromKafka(topic, partition, message), message)
    const record = wire ? wire.record : fromKafka(topic, partition, message)
    const pipeline = record.headers[Header.pipeline] ?? 'send'
    this.o.metrics?.sendTaken(pipeline)
    const {decoded, checked} = wire && !wire.ok ? {decoded: wire, checked: wire} : readSlackMessage(record)
    if (!checked.ok) {
      counts.invalid++
      this.o.metrics?.sendOutcome(pipeline, 'invalid')
      const payload = decoded.ok ? decoded.value : {}
      const alertId = typeof payload.alertId === 'string' && payload.alertId ? payload.alertId : (record.key ?? null)
      const channel = typeof payload.channel === 'string' ? payload.channel : ''
      const reason = `invalid Slack message: ${checked.reason}`
      const revision = claimedRevision(record, payload)
      this.o.deliverer.reject({
        state,
        entry,
        record,
        alertId,
        channel: this.o.channel ?? channel,
        pipeline,
        reason,
        ...(revision ? {revision} : {}),
      })
      return
    }
    const {message: slackMessage} = checked
    const revision = slackMessage.revision ?? 0
    const queued = this.queued.get(slackMessage.alertId) ?? {newest: 0, jobs: 0}
    queued.jobs++
    queued.newest = Math.max(queued.newest, revision)
    this.queued.set(slackMessage.alertId, queued)
    this.dispatch.enqueue(this.o.channel ?? slackMessage.channel, {
      state,
      entry,
      record,
      message: slackMessage,
      alertId: slackMessage.alertId,
      pipeline,
      inDoubt: state.isInDoubt(entry.offset),
      revision,
      takenAt: Date.now(),
    })
  }

  /**
   * The alert's turn on its channel: skipped if it has a successful response (an update: if that
   * revision or a later one is applied, so an older one never replaces a newer), else delivered.
   * An update in doubt (after a crash or a takeover: the old owner may have applied it, and newer
   * ones, without recording them) is skipped too when a newer revision of its alert is taken on
   * behind it: applied, it would put the DM back for a while, or for good if the old owner's
   * record of the newer one arrived in between (the newer one would then be skipped).
   */
  private async turn(job: Job, channel: string): Promise<void> {
    try {
      await this.deliver(job, channel)
    } finally {
      const queued = this.queued.get(job.alertId)
      if (queued && --queued.jobs <= 0) this.queued.delete(job.alertId)
    }
  }

  private async deliver(job: Job, channel: string): Promise<void> {
    // A channel's first job starts as it is enqueued: let the rest of its batch be taken on first.
    await Promise.resolve()
    const {table, counts, ledger, deliverer} = this.o
    if (this.o.stop.aborted || job.state.detached) return ledger.unfinished(job.state, job.entry, false)
    const {alertId} = job
    const earlier = this.inflight.get(alertId)
    if (earlier) await earlier
    const superseded = job.inDoubt && job.revision > 0 && (this.queued.get(alertId)?.newest ?? 0) > job.revision
    if (
      superseded ||
      (job.revision > 0 ? table.appliedRevision(alertId) >= job.revision : table.isDelivered(alertId))
    ) {
      counts.skipped++
      this.o.metrics?.sendOutcome(job.pipeline, 'skipped')
      await deliverer.skip(job, channel)
      ledger.done(job.state, job.entry)
      return
    }
    // Only a post expires: an update changes a DM already there (no new notification), and the
    // DM must end on its last revision, whatever the age of the event that made it (a late one).
    const eventAt = job.revision > 0 ? undefined : this.expiredAt(job)
    if (eventAt) {
      counts.expired++
      this.o.metrics?.sendOutcome(job.pipeline, 'expired')
      deliverer.expire(job, channel, eventAt)
      return
    }
    let done: () => void = () => {}
    this.inflight.set(alertId, new Promise<void>((resolve) => (done = resolve)))
    try {
      await deliverer.post(job, channel)
    } finally {
      this.inflight.delete(alertId)
      done()
    }
  }
}
