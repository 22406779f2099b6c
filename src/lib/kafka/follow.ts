import {setTimeout as sleep} from 'node:timers/promises'

import type {Admin, Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage} from 'kafkajs'

import {Unrecoverable} from '../errors.js'
import {silentLogger, type Logger} from '../output/log.js'
import {disconnectQuietly} from './client.js'
import {partitionKey} from './drain.js'

export interface TopicFollowerOptions {
  kafka: Kafka
  admin: Admin
  topics: string[]
  /** A group id of its own (throwaway: nothing is ever committed to it). */
  groupId: string
  /**
   * Applies records in offset order per partition; may return a promise (awaited before going on)
   * and the number of records it applied (default: all of them).
   */
  onMessages: (topic: string, partition: number, messages: KafkaMessage[]) => void | number | Promise<void | number>
  log?: Logger
  /** The `component` of its log lines (default `follow`). */
  component?: string
  /** Names its consumer in log lines (default `follower consumer`). */
  label?: string
  consumer?: Partial<ConsumerConfig>
  /**
   * When nothing arrives for this long during the bootstrap although fetches succeed, the
   * partitions still short of their target are taken as read: the records up to the target no
   * longer exist (compaction removed a trailing tombstone). Default 10 s.
   */
  stallMs?: number
  /**
   * false: only read to the end offsets seen at start (`readToEnd`): an empty topic needs no
   * consumer, and a consumer kafkajs gives up on fails `start()` instead of being restarted.
   */
  follow?: boolean
  /** After the bootstrap, an error no retry mends (refused registry credentials): the caller ends its run. */
  onUnrecoverable?: (error: Unrecoverable) => void
}

/** Called once the end offsets to read are known: `records` to read; may return a clean-up, called when the bootstrap ends. */
export type OnBootstrap = (records: number) => void | (() => void)

export interface FollowStart {
  /** Records read to reach the end offsets seen at start. */
  records: number
  ms: number
}

/**
 * Reads topics like a Kafka Streams GlobalKTable: `start()` reads them from the beginning to the
 * end offsets seen at start (read_committed), then resolves; the same consumer keeps following,
 * so later records keep being applied. Gaps (compaction, transaction markers) are handled: a
 * partition is done when a batch (even one of only markers) reaches its target, never by waiting
 * for a record at `high - 1`.
 */
export class TopicFollower {
  private consumer: Consumer | undefined
  private readonly log: Logger
  private readonly positions = new Map<string, number>()
  private readonly pending = new Map<string, {topic: string; partition: number; target: number}>()
  private loaded = false
  /** The last batch handed to onMessages threw (kafkajs fetches it again). */
  private failing = false
  private stopping = false
  private bootstrapped = 0
  private lastProgressAt = Date.now()
  private fetchesSinceProgress = 0
  private finishBootstrap: (() => void) | undefined
  private failBootstrap: ((error: unknown) => void) | undefined
  private restartTimer: NodeJS.Timeout | undefined
  /** The latest reach(): when it read the end offsets, and whether it got to them. */
  private reached: {at: number; done: Promise<boolean>} | undefined
  /** Records applied since the start. */
  records = 0

  constructor(private readonly options: TopicFollowerOptions) {
    this.log = (options.log ?? silentLogger).child({component: options.component ?? 'follow', topics: options.topics})
  }

  get isLoaded(): boolean {
    return this.loaded
  }

  /** Records applied so far while reading to the end offsets seen at start. */
  get bootstrapRecords(): number {
    return this.bootstrapped
  }

  private get label(): string {
    return this.options.label ?? 'follower consumer'
  }

  /** Reads every topic to the end offsets seen now; resolves when that is applied. */
  async start(signal?: AbortSignal, onBootstrap?: OnBootstrap): Promise<FollowStart> {
    const started = Date.now()
    let toRead = 0
    for (const topic of this.options.topics) {
      for (const {partition, high, low} of await this.options.admin.fetchTopicOffsets(topic)) {
        const k = partitionKey(topic, partition)
        this.positions.set(k, Number(low))
        if (Number(high) > Number(low)) {
          this.pending.set(k, {topic, partition, target: Number(high)})
          toRead += Number(high) - Number(low)
        }
      }
    }
    const cleanUp = onBootstrap?.(toRead)
    const stallCheck = setInterval(() => this.checkStall(), 1_000)
    let onAbort: (() => void) | undefined
    try {
      await new Promise<void>((resolve, reject) => {
        this.finishBootstrap = resolve
        this.failBootstrap = reject
        onAbort = () => reject(signal?.reason ?? new Error('aborted'))
        if (signal?.aborted) return onAbort()
        signal?.addEventListener('abort', onAbort, {once: true})
        if (this.pending.size === 0) {
          this.markLoaded()
          if (this.options.follow === false) return
        }
        this.run().catch(reject)
      })
    } finally {
      clearInterval(stallCheck)
      if (onAbort) signal?.removeEventListener('abort', onAbort)
      cleanUp?.()
    }
    return {records: this.bootstrapped, ms: Date.now() - started}
  }

  /**
   * Resolves true once every record written before `since` (epoch ms) is applied: the end offsets
   * read then or later are reached. Callers share a read made at or after their `since`. False
   * after `timeoutMs` short of them (or at a stop).
   */
  reach(since: number, timeoutMs = 5_000): Promise<boolean> {
    if (this.reached && this.reached.at >= since) return this.reached.done
    const at = Date.now()
    const done = this.endOffsets().then(
      (ends) => this.waitFor(ends, at + timeoutMs),
      () => false,
    )
    this.reached = {at, done}
    return done
  }

  private async endOffsets(): Promise<Map<string, number>> {
    const ends = new Map<string, number>()
    for (const topic of this.options.topics)
      for (const {partition, high} of await this.options.admin.fetchTopicOffsets(topic))
        ends.set(partitionKey(topic, partition), Number(high))
    return ends
  }

  private async waitFor(ends: Map<string, number>, deadline: number): Promise<boolean> {
    const behind = () => [...ends].some(([k, end]) => (this.positions.get(k) ?? 0) < end)
    while (behind()) {
      if (this.stopping || Date.now() >= deadline) return false
      await sleep(20)
    }
    return true
  }

  async stop(timeoutMs = 5_000): Promise<void> {
    this.stopping = true
    clearTimeout(this.restartTimer)
    const consumer = this.consumer
    this.consumer = undefined
    if (!(await disconnectQuietly(consumer, timeoutMs))) this.log.warn(`${this.label} did not disconnect in time`)
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
    // Filtered batches (only markers or aborted transactions) never reach eachBatch but move the position.
    consumer.on(END_BATCH_PROCESS, ({payload}) =>
      this.advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1),
    )
    consumer.on(FETCH, () => this.fetchesSinceProgress++)
    // After a restart the throwaway group has no offsets: continue where this process was.
    consumer.on(GROUP_JOIN, ({payload}) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const position = this.positions.get(partitionKey(topic, partition))
          if (position !== undefined && position > 0) consumer.seek({topic, partition, offset: String(position)})
        }
      }
    })
    consumer.on(CRASH, ({payload}) => {
      if (this.stopping) return
      this.log.warn(`${this.label} failed`, {error: payload.error, restart: payload.restart})
      if (!payload.restart && this.options.follow === false) this.failBootstrap?.(payload.error)
      else if (!payload.restart) {
        // kafkajs gives up on non-retriable errors; a follower must keep following, so start over.
        this.restartTimer = setTimeout(() => {
          if (!this.stopping)
            this.run().catch((error: Error) => this.log.error(`${this.label} cannot restart`, {error}))
        }, 5_000)
      }
    })
    await consumer.connect()
    await consumer.subscribe({topics: this.options.topics, fromBeginning: true})
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    })
  }

  private async eachBatch({batch, isStale}: EachBatchPayload): Promise<void> {
    if (isStale()) return
    const {topic, partition} = batch
    const from = this.positions.get(partitionKey(topic, partition)) ?? 0
    // Never apply a record twice (a restarted consumer starts again from the beginning).
    const fresh = batch.messages.filter((m) => Number(m.offset) >= from)
    if (fresh.length > 0) {
      let applied: number
      try {
        applied = (await this.options.onMessages(topic, partition, fresh)) ?? fresh.length
        this.failing = false
      } catch (error) {
        // Records are there but cannot be applied: the bootstrap is not stalled (see checkStall).
        this.failing = true
        // What no retry mends (refused registry credentials) fails the bootstrap, or later the caller's run.
        if (error instanceof Unrecoverable) {
          if (this.loaded) this.options.onUnrecoverable?.(error)
          else this.failBootstrap?.(error)
        }
        throw error
      }
      this.records += applied
      if (!this.loaded) this.bootstrapped += applied
    }
    this.advance(topic, partition, Number(batch.lastOffset()) + 1)
  }

  private advance(topic: string, partition: number, position: number): void {
    const k = partitionKey(topic, partition)
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
    // A batch that failed is retried by kafkajs (fetched again): its records exist, so nothing is taken as read.
    if (this.loaded || this.pending.size === 0 || this.failing) return
    if (Date.now() - this.lastProgressAt < (this.options.stallMs ?? 10_000) || this.fetchesSinceProgress < 3) return
    for (const {topic, partition, target} of this.pending.values()) {
      this.log.warn('partition ends before the offset seen at start (compacted tail); taking it as read', {
        topic,
        partition,
        position: this.positions.get(partitionKey(topic, partition)),
        target,
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

/**
 * Reads topics from the beginning to the end offsets seen at start, then stops (a TopicFollower
 * that does not keep following). Abort `signal` to give up (e.g. on a timeout).
 */
export async function readToEnd(
  options: Omit<TopicFollowerOptions, 'follow'>,
  signal?: AbortSignal,
): Promise<FollowStart> {
  const follower = new TopicFollower({...options, follow: false})
  try {
    return await follower.start(signal)
  } finally {
    await follower.stop()
  }
}
