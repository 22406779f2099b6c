import type {EachBatchPayload, Message} from 'kafkajs'

import {Unrecoverable} from '../errors.js'
import type {CommitPipeline} from '../kafka/commit-pipeline.js'
import {partitionKey} from '../kafka/drain.js'
import type {BatchContext, EmptyBatch, GroupRun} from '../kafka/group-run.js'
import type {EnrichTuning} from '../kafka/tuning.js'
import {messageBytes, type OutputWriter, type PartitionOffset} from '../kafka/writer.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {Summary} from '../pipeline/summary.js'
import type {Outcome} from '../pipeline/topology.js'
import {Header} from '../records/headers.js'
import {MarkerOffsets} from './marker-offsets.js'
import {checkedMessage, type OutputEncoding} from './messages.js'
import type {RecordRouter} from './router.js'
import type {LocalPartitions} from './local-partitions.js'
import type {StateKeeper} from './state-keeper.js'

export interface BatchProcessorOptions {
  /** Runs each record: directly, or in two stages through a repartition topic (stateful alert types). */
  router: RecordRouter
  /** Incidents and histories, in memory, restored from and written to its changelog (repartition batches). */
  keeper?: StateKeeper
  /** Which keys of stateful alert types run where they are read, decided at each join (source batches then run on the state). */
  owner?: LocalPartitions
  tuning: EnrichTuning
  log: Logger
  writer: OutputWriter
  /** Exactly-once: each batch's outputs and offset commit in one transaction. */
  transactional: boolean
  /** At-least-once: commits each batch's offset once its outputs are acknowledged, in order. */
  commits?: CommitPipeline
  summary: Summary
  run: GroupRun
  metrics: Metrics
  /** Ends a wait for the Schema Registry (the run's signal). */
  signal?: AbortSignal
  /** Alerts in a registry format (`formats:`); JSON without. */
  encoding?: OutputEncoding
}

/** enrich's eachBatch: one fetched batch through the core, out to Kafka, its offset committed with it. */
export class BatchProcessor {
  /** Source records processed, and when the last batch was written and committed (epoch ms). */
  processed = 0
  lastBatchAt: number | null = null
  /**
   * Exactly-once: the next offset of each partition as this process's own transactions
   * committed it. kafkajs cannot ask for stable committed offsets (KIP-447's require_stable):
   * a consumer that rejoins while the markers of a committed transaction are not written yet
   * (a broker that just restarted) is told the offset from before it, and would write those
   * records again.
   */
  private readonly committedHere = new Map<string, bigint>()
  private readonly markers = new MarkerOffsets()
  private failuresSeen = 0

  constructor(private readonly options: BatchProcessorOptions) {}

  /** For GroupRun: a failed batch is logged and rethrown (kafkajs retries it); a fenced writer ends the run. */
  readonly eachBatch = async (payload: EachBatchPayload, {member}: BatchContext): Promise<void> => {
    try {
      await this.process(payload, member)
      this.options.metrics.failing(null)
    } catch (error) {
      this.failed(error as Error, payload.batch.topic, payload.batch.partition)
      throw error
    }
  }

  /** A batch not written: its state changes never reached the changelog; a fenced writer ends the run. */
  private failed(error: Error, topic: string, partition: number): void {
    const {writer, run, log, metrics, keeper} = this.options
    keeper?.invalidate()
    metrics.failing(`batch of ${topic}[${partition}] failed: ${error.message}`)
    const fatal = writer.fatal ?? keeper?.fatal ?? (error instanceof Unrecoverable ? error : undefined)
    if (fatal) run.fail(fatal)
    else log.warn('batch failed; it will be retried', {topic, partition, error})
  }

  /** Marker-only batches of repartition partitions (cron mode, --exactly-once): see MarkerOffsets. */
  readonly commitPastMarkers = (batch: EmptyBatch, member: string | undefined): void => {
    const {run, router} = this.options
    const {drain} = run
    const next = Number(batch.lastOffset) + 1
    const awaited = drain !== undefined && (drain.lastPhase || drain.isPending(batch.topic, batch.partition))
    const advance = () => drain?.advance(batch.topic, batch.partition, next)
    // At-least-once the markers' offset is committed after the batches before it (the consumer does not auto-commit).
    const {commits} = this.options
    if (commits)
      return commits.track(batch.topic, batch.partition, BigInt(next), BigInt(next), Promise.resolve(), advance)
    if (!drain || !this.options.transactional || !router.keepsState(batch.topic)) return void advance()
    const key = partitionKey(batch.topic, batch.partition)
    const offset = {topic: batch.topic, partition: batch.partition, offset: String(next)}
    this.markers.saw(key, offset, member, this.committedHere.get(key))
    // Done only once committed: the run stops reading when the drain is done, and a member that left
    // the group can no longer commit (the transaction spanning batches commits up to an interval later).
    // Not committed (the transaction failed and rewound the partition): the marker batch comes again.
    if (awaited) void this.flushMarkers().then((committed) => committed && advance())
    else advance()
  }

  /** Commits the marker offsets seen, in transactions of their own (the drain waits for them); false if one failed. */
  readonly flushMarkers = async (): Promise<boolean> => {
    const members = this.markers.members()
    const committed = await Promise.all(members.map((member) => this.commitOffsets(this.markers.take(member), member)))
    return committed.every(Boolean)
  }

  /** A join: the partitions of the markers seen may be another member's now. */
  forgetMarkers(): void {
    this.markers.forget()
  }

  private async commitOffsets(offsets: PartitionOffset[], member: string | undefined): Promise<boolean> {
    if (offsets.length === 0) return true
    try {
      await this.options.writer.submit(new Map(), 0, offsets, member)
      for (const o of offsets) this.committedHere.set(partitionKey(o.topic, o.partition), BigInt(o.offset))
      return true
    } catch (error) {
      this.options.log.debug('cannot commit past transaction markers', {offsets, error})
      return false
    }
  }

  /** `member`: the group member id the batch was read as. */
  private async process(
    {batch, pause, isStale, heartbeat}: EachBatchPayload,
    member: string | undefined,
  ): Promise<void> {
    const {writer, run, log, tuning, router} = this.options
    if (writer.fatal) throw writer.fatal
    const {topic, partition} = batch
    const key = partitionKey(topic, partition)
    const known = this.committedHere.get(key)
    const first = batch.firstOffset()
    if (known !== undefined && first !== null && BigInt(first) < known) {
      log.info('read on from the offset this process committed, not the older one the group reported', {
        topic,
        partition,
        reported: first,
        committed: String(known),
      })
      run.consumer?.seek({topic, partition, offset: String(known)})
      return
    }
    // A registry outage waits here: nothing of the batch is written or committed until it is back.
    await router.prepare(topic, batch.messages, {signal: this.options.signal, heartbeat})
    if (isStale()) return
    // A transaction (or an ordered write) failed since the last batch: the state in memory holds changes it never wrote.
    const failures = writer.failures
    if (failures !== this.failuresSeen) {
      this.failuresSeen = failures
      this.options.keeper?.invalidate()
    }
    // Restored before any batch after a join (a changelog this fa cannot read ends the run at once); used by repartition batches.
    await this.options.keeper?.ready()
    await this.options.owner?.ready()
    const stateful = router.keepsState(topic)
    const here = !stateful && router.runsStateHere(topic)
    const keeper = stateful || here ? this.options.keeper : undefined
    const outcomes: Outcome[][] = new Array(batch.messages.length)
    const outputs = new Map<string, Message[]>()
    let bytes = 0
    const emit = (to: string, out: Message, size = messageBytes(out)) => {
      bytes += size
      const list = outputs.get(to)
      if (list) list.push(out)
      else outputs.set(to, [out])
    }
    const producedAt = String(Date.now())
    for (let i = 0; i < batch.messages.length; i++) {
      const message = batch.messages[i]!
      if (here) keeper!.sawSource(topic, partition, message)
      else keeper?.saw(topic, partition, message)
      // Where its alert turns out to be a dead letter (too large, or not in its topic's schema), the
      // record's state changes are undone: a dead-lettered event neither opens nor updates an incident.
      const mark = keeper?.state.mark()
      const result = router.process(topic, partition, message, emit)
      outcomes[i] = result
      for (let j = 0; j < result.length; j++) {
        const outcome = result[j]!
        if (outcome.kind !== 'alert' && outcome.kind !== 'update' && outcome.kind !== 'dead-letter') continue
        if (outcome.kind !== 'dead-letter') outcome.output.headers[Header.producedAt] = producedAt
        let out = checkedMessage(outcome.output, tuning, log, this.options.encoding)
        // An alert Kafka would refuse: its source record is the dead letter, with why.
        if (out.tooLarge !== undefined && outcome.kind !== 'dead-letter') {
          const letter = router.deadLetter(topic, partition, message, outcome.pipeline, out.tooLarge)
          result[j] = letter
          out = checkedMessage(letter.output, tuning, log, this.options.encoding)
        }
        emit(out.topic, out.message, out.bytes)
        // Written as a dead letter (its topic's schema cannot carry it): counted as one, not as an alert.
        if (out.deadLetter !== undefined && outcome.kind !== 'dead-letter')
          result[j] = {kind: 'dead-letter', pipeline: outcome.pipeline, reason: out.deadLetter, output: outcome.output}
        if (mark !== undefined && outcome.kind !== 'dead-letter' && result[j]!.kind === 'dead-letter')
          keeper!.state.undo(mark)
      }
    }
    if (keeper) {
      const changes = keeper.changes()
      if (changes.length > 0) outputs.set(keeper.topic, changes)
      for (const change of changes) bytes += messageBytes(change)
    }
    // A rebalance or seek made this batch stale: another member (or a re-read) handles it.
    if (isStale()) {
      keeper?.invalidate()
      return
    }
    // ... or failed while this batch was processed (on that state): read it again.
    if (writer.failures !== failures) throw new Error('an earlier write failed while the batch was processed')
    const next = String(BigInt(batch.lastOffset()) + 1n)
    this.markers.superseded(key)
    const markers = this.options.transactional ? this.markers.take(member) : []
    const offsets = [{topic, partition, offset: next}, ...markers]
    const done = () => {
      this.lastBatchAt = Date.now()
      // A repartitioned record was counted when its source record was read.
      for (const result of outcomes) this.options.summary.add(result, !stateful)
      this.options.metrics.enrichBatch(outcomes, batch.messages)
      if (!stateful) this.processed += batch.messages.length
      // A repartition partition is not paused at its target: this run's source batches may write more to it.
      if (run.drain?.advance(topic, partition, Number(next)) && !stateful) pause()
    }
    const {commits} = this.options
    if (!commits) {
      run.drain?.processed(topic, partition, Number(next))
      // The transaction commits later, with the batches after this one (writer.ts); a failed one
      // rewinds the consumer itself. Meanwhile the next batch is processed while this one is sent.
      writer
        .submit(outputs, bytes, offsets, member)
        .then(() => {
          for (const o of offsets) this.committedHere.set(partitionKey(o.topic, o.partition), BigInt(o.offset))
          done()
        })
        .catch((error: unknown) => this.failed(error as Error, topic, partition))
      await writer.room()
      return
    }
    // At-least-once: the offset is committed once these outputs (and those of the batches before
    // it) are acknowledged; a failure rewinds the partition (CommitPipeline). The next batch is
    // processed meanwhile: the writer keeps repartition and changelog records in order, and fails
    // those behind a failed write (the state they were computed on is restored, see `failures`).
    const written = writer.submit(outputs, bytes)
    commits.track(topic, partition, BigInt(first ?? next), BigInt(next), written, done)
    written.catch((error: unknown) => this.failed(error as Error, topic, partition))
    await writer.room()
    // No heartbeat() here: it throws when the group rebalances, which would fail a batch that is
    // already written (and, at-least-once, write it again). kafkajs heartbeats after each batch.
  }
}
