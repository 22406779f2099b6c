import type {Admin, ConsumerConfig, Kafka, KafkaMessage} from 'kafkajs'

import type {Metrics} from '../metrics/room.js'
import {silentLogger, type Logger} from '../output/log.js'
import {progressBar} from '../output/progress.js'
import type {Summary} from '../pipeline/summary.js'
import type {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import type {TopicRecord} from '../records/record.js'
import type {RecordDecoder} from '../schema/decoder.js'
import {TopicFollower} from '../kafka/follow.js'
import type {DeadLetterMarks} from './dead-letter-marks.js'
import {processMessage} from './messages.js'

export interface TableLoaderOptions {
  kafka: Kafka
  admin: Admin
  topology: Topology
  tables: TableStore
  /** A group id of its own (throwaway: nothing is ever committed to it). */
  groupId: string
  /** Produces the dead letters of bad table records; awaited before the batch counts as applied. */
  deadLetters: (records: TopicRecord[]) => Promise<void>
  /** Which bad records an earlier run dead-lettered already: they are not written again. */
  marks?: DeadLetterMarks
  log?: Logger
  /** Table outcomes are added here too (per-table read and dead letters in the run summary). */
  summary?: Summary
  /** Table outcomes are counted here too. */
  metrics?: Metrics
  consumer?: Partial<ConsumerConfig>
  /** A progress bar on a TTY (default), a log line otherwise. */
  progress?: boolean
  /**
   * When nothing arrives for this long during the bootstrap although fetches succeed, the
   * partitions still short of their target are taken as loaded: the records up to the target no
   * longer exist (compaction removed a trailing tombstone). Default 10 s.
   */
  stallMs?: number
  /** Schema Registry formats: decoded before the core sees a record. */
  decoder?: RecordDecoder
  /** Ends a wait for the registry. */
  signal?: AbortSignal
  /** Following, a table record that no retry can apply (refused registry credentials): the run ends with it. */
  onUnrecoverable?: (error: Error) => void
}

export interface TableStats {
  topic: string
  table: string
  /** Records applied (upserts + deletes + dead letters) since the start. */
  records: number
  upserts: number
  deletes: number
  deadLetters: number
  /** Rows in the table now. */
  rows: number
}

export interface BootstrapResult {
  tables: TableStats[]
  /** Records read to reach the end offsets seen at start. */
  records: number
  ms: number
}

/**
 * Keeps every table of a topology in memory like a Kafka Streams GlobalKTable: `start()` reads
 * each table topic from the beginning to the end offsets seen at start (read_committed, so
 * aborted transactions never count), then resolves; the same consumer keeps following the
 * topics, so later upserts and tombstones apply to later events. It has its own consumer (a
 * TopicFollower), so the event stream never waits for it once it has bootstrapped.
 */
export class TableLoader {
  private readonly log: Logger
  private readonly follower: TopicFollower | undefined
  private readonly stats = new Map<string, TableStats>()
  /** Without table topics there is nothing to read: loaded once started. */
  private started = false

  constructor(private readonly options: TableLoaderOptions) {
    this.log = (options.log ?? silentLogger).child({component: 'tables'})
    for (const {topic, table} of options.topology.tableTopics) {
      this.stats.set(topic, {topic, table: table.name, records: 0, upserts: 0, deletes: 0, deadLetters: 0, rows: 0})
    }
    const topics = options.topology.tableTopics.map((t) => t.topic)
    if (topics.length > 0) {
      this.follower = new TopicFollower({
        kafka: options.kafka,
        admin: options.admin,
        topics,
        groupId: options.groupId,
        onMessages: (topic, partition, messages) => this.apply(topic, partition, messages),
        log: options.log,
        component: 'tables',
        label: 'table consumer',
        consumer: options.consumer,
        stallMs: options.stallMs,
        onUnrecoverable: options.onUnrecoverable,
      })
    }
  }

  get isLoaded(): boolean {
    return this.follower?.isLoaded ?? this.started
  }

  tableStats(): TableStats[] {
    const byTopic = new Map(this.options.topology.tableTopics.map(({topic, table}) => [topic, table]))
    return [...this.stats.values()].map((s) => ({...s, rows: this.options.tables.size(byTopic.get(s.topic)!)}))
  }

  /** Loads every table to the end offsets seen now; resolves when they are in memory. */
  async start(signal?: AbortSignal): Promise<BootstrapResult> {
    this.started = true
    const follower = this.follower
    if (!follower) return {tables: [], records: 0, ms: 0}
    const topics = this.options.topology.tableTopics.map((t) => t.topic)
    await this.options.marks?.load()
    const {records, ms} = await follower.start(signal, (toLoad) => {
      this.log.info('loading tables', {topics, records: toLoad})
      const bar = this.options.progress === false ? undefined : progressBar('tables', Math.max(1, toLoad), 'records')
      const ticker = bar
        ? setInterval(() => bar.update(follower.bootstrapRecords), 200)
        : setInterval(() => this.log.info('loading tables', {loaded: follower.bootstrapRecords, of: toLoad}), 10_000)
      return () => {
        clearInterval(ticker)
        bar?.update(follower.bootstrapRecords)
        bar?.stop()
      }
    })
    await this.options.marks?.save()
    const result = {tables: this.tableStats(), records, ms}
    this.log.info('tables loaded', {
      ms: result.ms,
      records: result.records,
      ...Object.fromEntries(result.tables.map((t) => [t.table, {rows: t.rows, deadLetters: t.deadLetters}])),
    })
    return result
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    await this.follower?.stop(timeoutMs)
    await this.options.marks?.close()
  }

  /** Runs a batch of table records through the topology; returns how many it applied. */
  private async apply(topic: string, partition: number, messages: KafkaMessage[]): Promise<number> {
    const stats = this.stats.get(topic)!
    const {marks} = this.options
    const deadLetters: TopicRecord[] = []
    const outcomes: Outcome[][] = []
    let applied = 0
    let deadLettersUntil = -1
    const {decoder, topology, tables, signal} = this.options
    // A registry outage waits here: the table applies nothing past it until the registry is back.
    await decoder?.prepare(topic, messages, {signal})
    for (const message of messages) {
      let result = processMessage(topology, tables, undefined, topic, partition, message, decoder)
      applied++
      const offset = Number(message.offset)
      if (marks?.written(topic, partition, offset)) {
        // Dead-lettered by an earlier run: neither written nor counted again.
        result = result.filter((outcome) => outcome.kind !== 'dead-letter')
      } else if (result.some((outcome) => outcome.kind === 'dead-letter')) deadLettersUntil = offset + 1
      outcomes.push(result)
      for (const outcome of result) {
        if (outcome.kind === 'table') {
          if (outcome.op === 'upsert') stats.upserts++
          else stats.deletes++
        } else if (outcome.kind === 'dead-letter') {
          stats.deadLetters++
          deadLetters.push(outcome.output)
        }
      }
    }
    if (deadLetters.length > 0) await this.options.deadLetters(deadLetters)
    if (deadLettersUntil >= 0) marks?.advance(topic, partition, deadLettersUntil)
    stats.records += applied
    if (this.options.summary) for (const result of outcomes) this.options.summary.add(result)
    this.options.metrics?.tableRecords(outcomes)
    return applied
  }
}
