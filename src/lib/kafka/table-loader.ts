import type {Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka} from 'kafkajs'

import {silentLogger, type Logger} from '../output/log.js'
import {progressBar} from '../output/progress.js'
import type {Summary} from '../pipeline/summary.js'
import type {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import type {TopicRecord} from '../records/record.js'
import {disconnectQuietly} from './client.js'
import {fromKafka} from './codec.js'

export interface TableLoaderOptions {
  kafka: Kafka
  admin: Admin
  topology: Topology
  tables: TableStore
  /** A group id of its own (throwaway: nothing is ever committed to it). */
  groupId: string
  /** Produces the dead letters of bad table records; awaited before the batch counts as applied. */
  deadLetters: (records: TopicRecord[]) => Promise<void>
  log?: Logger
  /** Table outcomes are added here too (per-table read and dead letters in the run summary). */
  summary?: Summary
  consumer?: Partial<ConsumerConfig>
  /** A progress bar on a TTY (default), a log line otherwise. */
  progress?: boolean
  /**
   * When nothing arrives for this long during the bootstrap although fetches succeed, the
   * partitions still short of their target are taken as loaded: the records up to the target no
   * longer exist (compaction removed a trailing tombstone). Default 10 s.
   */
  stallMs?: number
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

interface PartitionTarget {
  topic: string
  partition: number
  target: number
}

/**
 * Keeps every table of a topology in memory like a Kafka Streams GlobalKTable: `start()` reads
 * each table topic from the beginning to the end offsets seen at start (read_committed, so
 * aborted transactions never count), then resolves; the same consumer keeps following the
 * topics, so later upserts and tombstones apply to later events. It has its own consumer, so the
 * event stream never waits for it once it has bootstrapped.
 */
export class TableLoader {
  private consumer: Consumer | undefined
  private readonly log: Logger
  private readonly positions = new Map<string, number>()
  private readonly pending = new Map<string, PartitionTarget>()
  private readonly stats = new Map<string, TableStats>()
  private loaded = false
  private stopping = false
  private bootstrapRecords = 0
  private totalToLoad = 0
  private lastProgressAt = Date.now()
  private fetchesSinceProgress = 0
  private finishBootstrap: (() => void) | undefined
  private failBootstrap: ((error: Error) => void) | undefined
  private restartTimer: NodeJS.Timeout | undefined

  constructor(private readonly options: TableLoaderOptions) {
    this.log = (options.log ?? silentLogger).child({component: 'tables'})
    for (const {topic, table} of options.topology.tableTopics) {
      this.stats.set(topic, {topic, table: table.name, records: 0, upserts: 0, deletes: 0, deadLetters: 0, rows: 0})
    }
  }

  get isLoaded(): boolean {
    return this.loaded
  }

  tableStats(): TableStats[] {
    const byTopic = new Map(this.options.topology.tableTopics.map(({topic, table}) => [topic, table]))
    return [...this.stats.values()].map((s) => ({...s, rows: this.options.tables.size(byTopic.get(s.topic)!)}))
  }

  /** Loads every table to the end offsets seen now; resolves when they are in memory. */
  async start(signal?: AbortSignal): Promise<BootstrapResult> {
    const started = Date.now()
    const topics = this.options.topology.tableTopics.map((t) => t.topic)
    if (topics.length === 0) {
      this.loaded = true
      return {tables: [], records: 0, ms: 0}
    }
    for (const topic of topics) {
      for (const {partition, high, low} of await this.options.admin.fetchTopicOffsets(topic)) {
        const target = Number(high)
        const from = Number(low)
        this.positions.set(key(topic, partition), from)
        if (target > from) {
          this.pending.set(key(topic, partition), {topic, partition, target})
          this.totalToLoad += target - from
        }
      }
    }
    this.log.info('loading tables', {topics, records: this.totalToLoad})
    const bar = this.options.progress === false ? undefined : progressBar('tables', Math.max(1, this.totalToLoad), 'records')
    const ticker = bar
      ? setInterval(() => bar.update(this.bootstrapRecords), 200)
      : setInterval(() => this.log.info('loading tables', {loaded: this.bootstrapRecords, of: this.totalToLoad}), 10_000)
    const stallCheck = setInterval(() => this.checkStall(), 1_000)
    try {
      await new Promise<void>((resolve, reject) => {
        this.finishBootstrap = resolve
        this.failBootstrap = reject
        const onAbort = () => reject(signal?.reason ?? new Error('aborted'))
        if (signal?.aborted) return onAbort()
        signal?.addEventListener('abort', onAbort, {once: true})
        if (this.pending.size === 0) this.markLoaded()
        this.run().catch(reject)
      })
    } finally {
      clearInterval(ticker)
      clearInterval(stallCheck)
      bar?.update(this.bootstrapRecords)
      bar?.stop()
    }
    const result = {tables: this.tableStats(), records: this.bootstrapRecords, ms: Date.now() - started}
    this.log.info('tables loaded', {
      ms: result.ms,
      records: result.records,
      ...Object.fromEntries(result.tables.map((t) => [t.table, {rows: t.rows, deadLetters: t.deadLetters}])),
    })
    return result
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true
    clearTimeout(this.restartTimer)
    const consumer = this.consumer
    this.consumer = undefined
    if (!(await disconnectQuietly(consumer, timeoutMs))) this.log.warn('table consumer did not disconnect in time')
  }

  private async run(): Promise<void> {
    const consumer = this.options.kafka.consumer({
      maxWaitTimeInMs: 500,
      maxBytesPerPartition: 8 << 20,
      maxBytes: 64 << 20,
      ...this.options.consumer,
      groupId: this.options.groupId,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      retry: {retries: 8, initialRetryTime: 300, maxRetryTime: 15_000, restartOnFailure: async () => !this.stopping},
    })
    this.consumer = consumer
    const {END_BATCH_PROCESS, FETCH, GROUP_JOIN, CRASH} = consumer.events
    // Filtered batches (only control records or aborted transactions) never reach eachBatch,
    // but they move the position, and so may complete a partition.
    consumer.on(END_BATCH_PROCESS, ({payload}) => this.advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1))
    consumer.on(FETCH, () => this.fetchesSinceProgress++)
    // After a restart the throwaway group has no offsets: continue where this process was.
    consumer.on(GROUP_JOIN, ({payload}) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const position = this.positions.get(key(topic, partition))
          if (position !== undefined && position > 0) consumer.seek({topic, partition, offset: String(position)})
        }
      }
    })
    consumer.on(CRASH, ({payload}) => {
      if (this.stopping) return
      this.log.warn('table consumer failed', {error: payload.error, restart: payload.restart})
      if (!payload.restart) {
        // kafkajs gives up on non-retriable errors; tables must keep following, so start over.
        this.restartTimer = setTimeout(() => {
          if (!this.stopping) this.run().catch((error: Error) => this.log.error('table consumer cannot restart', {error}))
        }, 5_000)
      }
    })
    await consumer.connect()
    await consumer.subscribe({topics: this.options.topology.tableTopics.map((t) => t.topic), fromBeginning: true})
    await consumer.run({autoCommit: false, partitionsConsumedConcurrently: 1, eachBatch: (payload) => this.eachBatch(payload)})
  }

  private async eachBatch({batch}: EachBatchPayload): Promise<void> {
    const {topic, partition} = batch
    const from = this.positions.get(key(topic, partition)) ?? 0
    const stats = this.stats.get(topic)!
    const deadLetters: TopicRecord[] = []
    const outcomes: Outcome[][] = []
    let applied = 0
    for (const message of batch.messages) {
      // Never apply a record twice (a restarted consumer starts again from the beginning).
      if (Number(message.offset) < from) continue
      let result: Outcome[]
      try {
        result = this.options.topology.process(fromKafka(topic, partition, message), this.options.tables)
      } catch (error) {
        this.log.warn('table record failed', {topic, partition, offset: message.offset, error})
        continue
      }
      applied++
      outcomes.push(result)
      for (const outcome of result) {
        if (outcome.kind === 'table') outcome.op === 'upsert' ? stats.upserts++ : stats.deletes++
        else if (outcome.kind === 'dead-letter') {
          stats.deadLetters++
          deadLetters.push(outcome.output)
        }
      }
    }
    if (deadLetters.length > 0) await this.options.deadLetters(deadLetters)
    stats.records += applied
    if (this.options.summary) for (const result of outcomes) this.options.summary.add(result)
    if (!this.loaded) this.bootstrapRecords += applied
    this.advance(topic, partition, Number(batch.lastOffset()) + 1)
  }

  private advance(topic: string, partition: number, position: number): void {
    const k = key(topic, partition)
    if (position > (this.positions.get(k) ?? 0)) this.positions.set(k, position)
    this.lastProgressAt = Date.now()
    this.fetchesSinceProgress = 0
    const pending = this.pending.get(k)
    if (pending && position >= pending.target) {
      this.pending.delete(k)
      if (this.pending.size === 0) this.markLoaded()
    }
  }

  private checkStall(): void {
    if (this.loaded || this.pending.size === 0) return
    const stallMs = this.options.stallMs ?? 10_000
    if (Date.now() - this.lastProgressAt < stallMs || this.fetchesSinceProgress < 3) return
    for (const {topic, partition, target} of this.pending.values()) {
      this.log.warn('table partition ends before the offset seen at start (compacted tail); taking it as loaded', {
        topic, partition, position: this.positions.get(key(topic, partition)), target,
      })
    }
    this.pending.clear()
    this.markLoaded()
  }

  private markLoaded(): void {
    if (this.loaded) return
    this.loaded = true
    this.finishBootstrap?.()
  }
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`
