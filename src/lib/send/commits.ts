import {setTimeout as sleep} from 'node:timers/promises'

import type {Message} from 'kafkajs'

import {withTimeout} from '../kafka/client.js'
import {toKafka} from '../kafka/codec.js'
import type {CommittedOffset, DrainTracker} from '../kafka/drain.js'
import {messageBytes, type OutputWriter} from '../kafka/writer.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import {deadLetterOf} from '../records/dead-letter.js'
import {Header} from '../records/headers.js'
import type {TopicRecord} from '../records/record.js'
import type {RecordEncoder} from '../schema/encoder.js'
import {covers, encodeMeta, inheritedDoubt, type Doubt, type Entry, type PartitionState} from './partitions.js'
import {responseMessage, type RecordedOutcome, type ResponseTable} from './responses.js'
import type {CommitTarget, RunCommitter} from './roles.js'
import type {SendCounts} from './summary.js'

const COMMIT_DEBOUNCE_MS = 100

export interface GroupCommitterOptions {
  group: string
  /** This run's id in the commit metadata. */
  instance: string
  topics: {responses: string; deadLetters: string}
  writer: Pick<OutputWriter, 'connect' | 'submit' | 'close'>
  table: ResponseTable
  counts: SendCounts
  /** slack.timeoutMs: how long a request the previous owner had in flight may still land. */
  requestTimeoutMs: number
  log: Logger
  stop: AbortSignal
  /** Rewords a kafkajs error for the user (kafkaError). */
  explain: (error: unknown, doing: string) => Error
  /** Dead letters and commits are counted here. */
  metrics?: Metrics
  /** Responses in slack-responses' pinned registry format (`formats:`); JSON without. */
  encoder?: RecordEncoder
}

/**
 * The group's side of `fa send`: outcomes recorded on slack-responses (and dead letters) before
 * their offsets are committed, commits debounced and chained per partition, and the write-ahead
 * announcements in the commit metadata (see partitions.ts).
 */
export class GroupCommitter implements RunCommitter {
  readonly groupId: string
  readonly writes: string[]
  private target: CommitTarget | undefined
  private drain: DrainTracker | undefined
  /** Outcomes being recorded (awaited at a stop). */
  private readonly recording = new Set<Promise<void>>()
  /** A partition's open commit that is queued behind another and not built yet: announcements join it. */
  private readonly queuedOpen = new WeakMap<PartitionState, Promise<boolean>>()

  constructor(private readonly o: GroupCommitterOptions) {
    this.groupId = o.group
    this.writes = [o.topics.responses, o.topics.deadLetters]
  }

  async connect(): Promise<void> {
    await this.o.writer.connect().catch((error) => {
      throw this.o.explain(error, 'connecting the producer')
    })
  }

  /** Commits tell the drain (partitions another member finished: the run polls the group, see run.ts). */
  watch(drain: DrainTracker): void {
    this.drain = drain
  }

  async startOffsets(): Promise<Array<{partition: number; offset: number}>> {
    return []
  }

  owns(committed: CommittedOffset): boolean {
    return Boolean(committed.metadata?.includes(` instance=${this.o.instance} `))
  }

  doubtOf(committed: CommittedOffset, highWatermark: number): Doubt {
    return inheritedDoubt(committed, highWatermark, Date.now(), this.o.requestTimeoutMs)
  }

  async announce(state: PartitionState, entry: Entry): Promise<boolean> {
    entry.posting = true
    if (covers(state.announced, entry.offset)) return true
    return (await this.commit(state, 'open')) && covers(state.announced, entry.offset)
  }

  progress(state: PartitionState): void {
    if (state.detached || state.commitTimer || this.o.stop.aborted) return
    state.commitTimer = setTimeout(() => {
      state.commitTimer = undefined
      if (this.target && !this.o.stop.aborted && state.watermark() > state.committed) void this.commit(state, 'open')
    }, COMMIT_DEBOUNCE_MS)
  }

  attach(target: CommitTarget): void {
    this.target = target
  }

  /**
   * Records the response (and the dead letter of a failure, or of an invalid payload), retrying
   * until acknowledged; then `settled(true)`, and the offset can be committed. `settled(false)`:
   * given up on at a stop, left for the next run.
   */
  record(
    record: TopicRecord,
    outcome: RecordedOutcome | undefined,
    deadLetterReason: string | undefined,
    settled: (recorded: boolean) => void,
  ): void {
    const promise = this.write(record, outcome, deadLetterReason).then(settled)
    this.recording.add(promise)
    void promise.finally(() => this.recording.delete(promise))
  }

  async close(states: Iterable<PartitionState>, deadline: number): Promise<void> {
    await withTimeout(Promise.all(this.recording), Math.max(1_000, deadline - Date.now()))
    if (!this.target) return
    // Every partition this process opened is closed: a clean stop leaves nothing in doubt
    // unless a post was cut short (see partitions.ts).
    for (const state of [...states]) {
      clearTimeout(state.commitTimer)
      await this.commit(state, 'closed')
    }
  }

  async disconnect(): Promise<void> {
    await this.o.writer.close(3_000)
  }

  private async write(
    record: TopicRecord,
    outcome: RecordedOutcome | undefined,
    deadLetterReason: string | undefined,
  ): Promise<boolean> {
    const {topics, table, log} = this.o
    const messages = new Map<string, Message[]>()
    // A failure never overwrites a success in the compacted table (an update's has a key of its own).
    if (outcome && (outcome.ok || outcome.revision || !table.isDelivered(outcome.alertId)))
      messages.set(topics.responses, [
        responseMessage(outcome, this.o.encoder && {encoder: this.o.encoder, topic: topics.responses, log}),
      ])
    if (deadLetterReason !== undefined) messages.set(topics.deadLetters, [this.deadLetter(record, deadLetterReason)])
    const bytes = [...messages.values()].flat().reduce((n, m) => n + messageBytes(m), 0)
    for (let attempt = 0; ; attempt++) {
      try {
        // Merged with the other outcomes of the moment into one produce request (acks=all).
        await this.o.writer.submit(messages, bytes)
        break
      } catch (error) {
        if (this.o.stop.aborted && attempt >= 2) {
          log.error('cannot record an outcome; leaving it for the next run', {alertId: outcome?.alertId, error})
          return false
        }
        await sleep(Math.min(5_000, 250 * 2 ** attempt))
      }
    }
    if (deadLetterReason !== undefined) {
      this.o.counts.deadLettered++
      this.o.metrics?.deadLetter(record.headers[Header.pipeline] ?? 'send', deadLetterReason)
    }
    return true
  }

  private deadLetter(record: TopicRecord, reason: string): Message {
    const {deadLetters} = this.o.topics
    return toKafka(deadLetterOf(record, deadLetters, record.headers[Header.pipeline] ?? 'send', reason))
  }

  /**
   * Commits the partition's watermark (everything before it recorded) with the metadata for
   * `how`, listing the offsets in doubt at that moment (partitions.ts), after the partition's
   * earlier commits (they are chained, so the metadata only ever moves forward). False when the
   * commit failed: progress is committed again later, an announcement must not be relied on.
   */
  private commit(state: PartitionState, how: 'open' | 'closed'): Promise<boolean> {
    const {instance, log} = this.o
    const queued = how === 'open' ? this.queuedOpen.get(state) : undefined
    if (queued) return queued
    const run: Promise<boolean> = state.commitChain.then(async () => {
      if (this.queuedOpen.get(state) === run) this.queuedOpen.delete(state)
      if (state.detached || !this.target) return false
      const offset = state.watermark()
      const doubt = state.doubtAt(offset)
      const meta = encodeMeta({state: how, instance, at: Date.now(), doubt})
      try {
        const ok = await withTimeout(
          this.target
            .commitOffsets([{topic: state.topic, partition: state.partition, offset: String(offset), metadata: meta}])
            .then(() => true),
          10_000,
        )
        if (!ok) throw new Error('timed out')
      } catch (error) {
        log.warn('commit failed', {partition: state.partition, offset, error})
        this.o.metrics?.offsetCommit(false)
        this.o.metrics?.failing(`commit of partition ${state.partition} failed: ${(error as Error).message}`)
        return false
      }
      this.o.metrics?.offsetCommit(true)
      this.o.metrics?.failing(null)
      state.committed = Math.max(state.committed, offset)
      state.announced = doubt
      log.debug('committed', {partition: state.partition, offset, meta})
      this.drain?.advance(state.topic, state.partition, offset)
      return true
    })
    if (how === 'open') this.queuedOpen.set(state, run)
    state.commitChain = run
    return run
  }
}
