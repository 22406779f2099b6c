import type {EachBatchPayload, Message} from 'kafkajs'

import {commitWithTime} from '../kafka/commit-time.js'
import {partitionKey} from '../kafka/drain.js'
import type {BatchContext, GroupRun} from '../kafka/group-run.js'
import type {EnrichTuning} from '../kafka/tuning.js'
import {messageBytes, type OutputWriter} from '../kafka/writer.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {StateStore} from '../pipeline/state.js'
import type {Summary} from '../pipeline/summary.js'
import type {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {Header} from '../records/headers.js'
import type {RecordDecoder} from '../schema/decoder.js'
import {checkedMessage, processMessage, type OutputEncoding} from './messages.js'
import type {StateKeeper} from './state-keeper.js'

export interface BatchProcessorOptions {
  topology: Topology
  tables: TableStore
  /** Incidents and histories, in memory; with `keeper`, restored from and written to its changelog. */
  state: StateStore
  keeper?: StateKeeper
  tuning: EnrichTuning
  log: Logger
  writer: OutputWriter
  /** Exactly-once: each batch's outputs and offset commit in one transaction. */
  transactional: boolean
  summary: Summary
  run: GroupRun
  metrics: Metrics
  /** Schema Registry formats: decoded before the core sees a record. */
  decoder?: RecordDecoder
  /** Ends a wait for the registry (the run's signal). */
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
    const fatal = writer.fatal ?? keeper?.fatal
    if (fatal) run.fail(fatal)
    else log.warn('batch failed; it will be retried', {topic, partition, error})
  }

  /** `member`: the group member id the batch was read as. */
  private async process(
    {batch, pause, isStale, heartbeat, commitOffsetsIfNecessary}: EachBatchPayload,
    member: string | undefined,
  ): Promise<void> {
    const {writer, run, log, topology, tables, state, tuning, decoder} = this.options
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
    await decoder?.prepare(topic, batch.messages, {signal: this.options.signal, heartbeat})
    if (isStale()) return
    const {keeper} = this.options
    // A transaction failed since the last batch: the state in memory holds changes it never wrote.
    const failures = writer.failures
    if (failures !== this.failuresSeen) {
      this.failuresSeen = failures
      keeper?.invalidate()
    }
    if (keeper) await keeper.ready()
    const outcomes: Outcome[][] = new Array(batch.messages.length)
    const outputs = new Map<string, Message[]>()
    let bytes = 0
    let maxTimestamp = 0
    const producedAt = String(Date.now())
    for (let i = 0; i < batch.messages.length; i++) {
      const message = batch.messages[i]!
      maxTimestamp = Math.max(maxTimestamp, Number(message.timestamp))
      const result = processMessage(topology, tables, state, topic, partition, message, decoder)
      outcomes[i] = result
      for (const outcome of result) {
        if (outcome.kind !== 'alert' && outcome.kind !== 'update' && outcome.kind !== 'dead-letter') continue
        if (outcome.kind !== 'dead-letter') outcome.output.headers[Header.producedAt] = producedAt
        const out = checkedMessage(outcome.output, tuning, log, this.options.encoding)
        bytes += out.bytes
        const list = outputs.get(outcome.output.topic)
        if (list) list.push(out.message)
        else outputs.set(outcome.output.topic, [out.message])
      }
    }
    if (keeper) {
      const changes = keeper.changes(maxTimestamp)
      if (changes.length > 0) outputs.set(keeper.topic, changes)
      for (const change of changes) bytes += messageBytes(change)
    }
    // A rebalance or seek made this batch stale: another member (or a re-read) handles it.
    if (isStale()) {
      keeper?.invalidate()
      return
    }
    // ... or failed while this batch was processed (on that state): read it again.
    if (writer.failures !== failures) throw new Error('an earlier transaction failed while the batch was processed')
    const nextOffset = BigInt(batch.lastOffset()) + 1n
    const next = String(nextOffset)
    const written = writer.submit(outputs, bytes, [{topic, partition, offset: next}], member).then(async () => {
      if (this.options.transactional) this.committedHere.set(key, nextOffset)
      else await commitWithTime({commitOffsetsIfNecessary}, {topic, partition, offset: next}, log)
      this.lastBatchAt = Date.now()
      for (const result of outcomes) this.options.summary.add(result)
      this.options.metrics.enrichBatch(outcomes, batch.messages)
      this.processed += batch.messages.length
      if (run.drain?.advance(topic, partition, Number(next))) pause()
    })
    if (this.options.transactional) {
      // The transaction commits later, with the batches after this one (writer.ts); a failed one
      // rewinds the consumer itself. Meanwhile the next batch is processed while this one is sent.
      written.catch((error: unknown) => this.failed(error as Error, topic, partition))
      await writer.room()
      return
    }
    try {
      await written
    } catch (error) {
      // Its state changes are in memory but not in the changelog: read the changelog again.
      keeper?.invalidate()
      throw error
    }
    // No heartbeat() here: it throws when the group rebalances, which would fail a batch that is
    // already written (and, at-least-once, write it again). kafkajs heartbeats after each batch.
  }
}
