import type {Admin, Kafka, Message, Producer} from 'kafkajs'

import {FaError} from '../errors.js'
import {silentLogger, type Logger} from '../output/log.js'
import {createProducer, disconnectQuietly} from './client.js'
import {guardCommits, unguardCommits} from './patches/commit-guard.js'
import {countMessages, cutByPartition, cutRequests, type PartitionOffset, type Submission} from './requests.js'
import {TransactionLoop} from './transactions.js'

export {messageBytes, type PartitionOffset} from './requests.js'

export interface WriterOptions {
  kafka: Kafka
  /**
   * With a transactional id, every flush is one Kafka transaction holding the records and the
   * consumer offsets they came from (exactly-once for read_committed consumers). Without, records
   * are produced with acks=all and the caller commits offsets after `submit` resolves.
   */
  transactionalId?: string
  /** The consumer group whose offsets go into the transactions. */
  groupId: string
  /** Transactional: reads the partition counts of the output topics (requests are cut per partition). */
  admin?: Admin
  log?: Logger
  /** Estimated bytes per produce request; below the broker's message.max.bytes (1 MiB default). */
  maxRequestBytes?: number
  /** Estimated bytes of records taken into one flush (at-least-once) or one transaction. */
  maxFlushBytes?: number
  /** At-least-once: flushes (produce rounds) in flight at once (default 1: in submission order). */
  maxFlushesInFlight?: number
  /**
   * At-least-once: topics whose records must land in the order submitted (repartition topics, the
   * state changelog). A submission writing to one is flushed behind the ordered ones before it,
   * one such flush at a time, and once one fails those queued behind it fail too: they may carry
   * state computed on its records, which never landed.
   */
  orderedTopics?: ReadonlySet<string>
  /**
   * Transactional: a transaction spans the submissions of up to this many ms (as Kafka Streams'
   * commit.interval.ms); `submit` resolves at its commit. 0: one transaction per flush.
   */
  commitIntervalMs?: number
  /**
   * Called after a failed transaction was cleaned up (producer re-initialised, so it is
   * committed or aborted for good) with the partitions whose offsets it carried: the consumer
   * must rewind them to their committed offsets before reading on.
   */
  onTransactionFailed?: (partitions: PartitionOffset[]) => Promise<void>
  /** Told of every transaction's end (counted as metrics). */
  onTransaction?: (result: 'committed' | 'aborted') => void
  /**
   * Runs just before a transaction that carries offsets commits (right before its EndTxn, see
   * patches/commit-guard.ts); throwing aborts it (and rewinds like any failed transaction). kafkajs sends
   * transactional offsets without the group generation (KIP-447), so the broker cannot refuse a
   * commit from a member the group has expelled: this is where the caller checks that it still
   * belongs to the group, as each batch's member (`submit`'s `member`).
   */
  beforeCommit?: (members: string[]) => Promise<void>
}

/** A produce request of several partitions' record batches (each under maxRequestBytes) stays under this. */
const MAX_REQUEST_TOTAL_BYTES = 8 << 20

const FENCED = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_PRODUCER_ID_MAPPING',
])

/**
 * Writes what the pipelines produce. At-least-once, submissions from concurrently processed
 * batches are merged into one flush (one produce round), so throughput does not pay a broker
 * round trip per partition batch; transactional, a TransactionLoop spans many submissions per
 * transaction. Requests are cut to stay under the broker's record batch size.
 */
export class OutputWriter {
  private producer: Producer | undefined
  private readonly queue: Submission[] = []
  /** At-least-once, submissions to orderedTopics: each with the ordered failures there were when it came. */
  private readonly ordered: Array<Submission & {failuresBefore: number}> = []
  private orderedInFlight = false
  private orderedFailures = 0
  /** At-least-once: the flushes in flight, and the bytes submitted and not acknowledged yet. */
  private readonly flushing = new Set<Promise<void>>()
  private unacknowledged = 0
  private roomWaiters: Array<() => void> = []
  private readonly log: Logger
  private readonly transactions: TransactionLoop | undefined
  /** Set when this instance was fenced by another with the same transactional id. */
  fatal: FaError | undefined
  /** The check the commit guard runs for the transaction being committed. */
  private commitCheck: (() => Promise<void>) | undefined
  /** Partitions per output topic, read once (a topic that gains partitions keeps its old count here). */
  private readonly counts = new Map<string, number>()

  constructor(private readonly options: WriterOptions) {
    this.log = (options.log ?? silentLogger).child({component: 'producer'})
    if (options.transactionalId === undefined) return
    const maxRequestBytes = options.maxRequestBytes ?? 900_000
    this.transactions = new TransactionLoop(
      {
        producer: () => this.ensureProducer(),
        reset: () => this.resetProducer(),
        fenced: (error) => (isFenced(error) ? this.fence(error) : undefined),
        commitCheck: (check) => (this.commitCheck = check),
        partitionCounts: (topics) => this.partitionCounts(topics),
      },
      {
        groupId: options.groupId,
        log: this.log,
        commitIntervalMs: options.commitIntervalMs ?? 0,
        maxTransactionBytes: options.maxFlushBytes ?? 16 << 20,
        maxRequestBytes,
        maxRequestTotalBytes: MAX_REQUEST_TOTAL_BYTES,
        maxQueuedBytes: 8 * maxRequestBytes,
        beforeCommit: options.beforeCommit,
        onTransaction: options.onTransaction,
        onTransactionFailed: options.onTransactionFailed,
      },
    )
  }

  get transactional(): boolean {
    return this.transactions !== undefined
  }

  /** Connects the producer; a transactional one fences older instances with the same id and aborts their open transaction. */
  async connect(): Promise<void> {
    await this.ensureProducer()
  }

  /**
   * Produces `messages` (topic → messages, in order) and, in a transaction, commits `offsets`
   * with them (`member`: the group member that read them, for beforeCommit). Resolves once
   * everything is acknowledged (and committed); rejects otherwise, in which case nothing of it
   * is visible to read_committed consumers (transactional) or some of it may be (at-least-once:
   * the caller reprocesses).
   */
  submit(
    messages: Map<string, Message[]>,
    bytes: number,
    offsets: PartitionOffset[] = [],
    member?: string,
  ): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal)
    if (messages.size === 0 && (offsets.length === 0 || !this.transactional)) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const submission = {messages, bytes, offsets, member, resolve, reject}
      if (this.transactions) return this.transactions.submit(submission)
      if ([...messages.keys()].some((topic) => this.options.orderedTopics?.has(topic)))
        this.ordered.push({...submission, failuresBefore: this.orderedFailures})
      else this.queue.push(submission)
      this.unacknowledged += bytes
      this.startFlushes()
    })
  }

  /**
   * Failed transactions so far (each fails and rewinds what was submitted until its rewind); at
   * least once, failed flushes of ordered topics (state computed since then rests on lost records).
   */
  get failures(): number {
    return this.transactions?.failures ?? this.orderedFailures
  }

  /**
   * Resolves once the submitted records are few enough to take more: not yet sent (transactional),
   * not yet acknowledged (at-least-once).
   */
  room(): Promise<void> {
    if (this.transactions) return this.transactions.room()
    if (this.unacknowledged <= this.maxUnacknowledged) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  private get maxUnacknowledged(): number {
    return 8 * (this.options.maxRequestBytes ?? 900_000)
  }

  /** Transactional: commits the open transaction now (before the partitions it read move on); resolves once done. */
  flush(): Promise<void> {
    return this.transactions?.flush() ?? Promise.resolve()
  }

  async close(timeoutMs = 5_000): Promise<void> {
    while (this.flushing.size > 0) await Promise.all(this.flushing)
    await this.transactions?.flush()
    if (this.options.transactionalId) unguardCommits(this.options.transactionalId)
    const producer = this.producer
    this.producer = undefined
    if (!(await disconnectQuietly(producer, timeoutMs))) this.log.warn('producer did not disconnect in time')
  }

  /** Starts flushes of what is queued while fewer than maxFlushesInFlight are under way, and the next ordered one. */
  private startFlushes(): void {
    const max = this.options.maxFlushesInFlight ?? 1
    while (this.queue.length > 0 && this.flushing.size < max) this.startFlush(this.take(this.queue))
    if (this.orderedInFlight) return
    // Queued behind an ordered flush that failed (the oldest first): failed with it, never written after it.
    let lostBytes = 0
    while (this.ordered.length > 0 && this.ordered[0]!.failuresBefore !== this.orderedFailures) {
      const lost = this.ordered.shift()!
      lost.reject(new Error('an earlier write to an ordered topic failed'))
      lostBytes += lost.bytes
    }
    if (lostBytes > 0) this.acknowledged(lostBytes)
    if (this.ordered.length === 0) return
    this.orderedInFlight = true
    this.startFlush(this.take(this.ordered), () => {
      this.orderedInFlight = false
    })
  }

  /** The first submissions of `queue`, up to maxFlushBytes (at least one), and their bytes. */
  private take(queue: Submission[]): {taken: Submission[]; bytes: number} {
    const taken: Submission[] = []
    let bytes = 0
    const maxFlush = this.options.maxFlushBytes ?? 16 << 20
    while (queue.length > 0 && (taken.length === 0 || bytes + queue[0]!.bytes <= maxFlush)) {
      const next = queue.shift()!
      bytes += next.bytes
      taken.push(next)
    }
    return {taken, bytes}
  }

  private startFlush({taken, bytes}: {taken: Submission[]; bytes: number}, ordered?: () => void): void {
    const flush: Promise<void> = this.flushPlain(taken)
      .then(
        () => taken.forEach((s) => s.resolve()),
        (error: unknown) => {
          if (ordered) this.orderedFailures++
          const err = error instanceof Error ? error : new Error(String(error))
          for (const s of taken) s.reject(err)
        },
      )
      .finally(() => {
        ordered?.()
        this.flushing.delete(flush)
        this.acknowledged(bytes)
        this.startFlushes()
      })
    this.flushing.add(flush)
  }

  private acknowledged(bytes: number): void {
    this.unacknowledged -= bytes
    if (this.unacknowledged > this.maxUnacknowledged) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }

  private async flushPlain(taken: Submission[]): Promise<void> {
    const producer = await this.ensureProducer()
    const maxRequestBytes = this.options.maxRequestBytes ?? 900_000
    // With partition counts, requests of several partitions' record batches: fewer round trips.
    const requests = this.options.admin
      ? cutByPartition(
          taken,
          await this.partitionCounts([...new Set(taken.flatMap((s) => [...s.messages.keys()]))]),
          maxRequestBytes,
          MAX_REQUEST_TOTAL_BYTES,
        )
      : cutRequests(taken, maxRequestBytes)
    // One after another: kafkajs may put concurrent requests on the wire in any order, and a later
    // request would then land a key's records before earlier ones (repartition order is incident order).
    for (const topicMessages of requests) await producer.sendBatch({topicMessages, acks: -1})
    this.log.debug('produced', {records: countMessages(requests), requests: requests.length, batches: taken.length})
  }

  private async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const missing = topics.filter((t) => !this.counts.has(t))
    if (missing.length > 0) {
      const {topics: metadata} = await this.options.admin!.fetchTopicMetadata({topics: missing})
      for (const t of metadata) this.counts.set(t.name, t.partitions.length)
    }
    return this.counts
  }

  private fence(cause: unknown): FaError {
    this.fatal ??= new FaError(
      `another fa enrich took over transactional id ${this.options.transactionalId} (fenced)`,
      {
        exit: 'kafka',
        hint: 'give every instance of a group its own --instance',
        cause,
      },
    )
    return this.fatal
  }

  private async ensureProducer(): Promise<Producer> {
    if (this.producer) return this.producer
    const {transactionalId} = this.options
    // Throws where kafkajs cannot take the guard: transactions without it could commit after an expulsion.
    if (transactionalId) guardCommits(transactionalId, async () => this.commitCheck?.())
    const producer = await createProducer(
      this.options.kafka,
      transactionalId
        ? // Right after a commit the coordinator answers CONCURRENT_TRANSACTIONS until its markers are
          // written: retry that within milliseconds (as the Java client does), not 300 ms later.
          {
            transactionalId,
            idempotent: true,
            maxInFlightRequests: 1,
            transactionTimeout: 60_000,
            retry: {retries: 15, initialRetryTime: 20, maxRetryTime: 10_000},
          }
        : {retry: {retries: 8, initialRetryTime: 300, maxRetryTime: 10_000}},
    )
    await producer.connect()
    // kafkajs registers the transactional id only with the first transaction. Registering it now
    // fences an earlier incarnation and aborts its open transaction before the consumer asks for
    // committed offsets: asked as stable ones, they would wait for that transaction's timeout.
    if (transactionalId) await (await producer.transaction()).abort()
    this.producer = producer
    return producer
  }

  private async resetProducer(): Promise<void> {
    const old = this.producer
    this.producer = undefined
    await disconnectQuietly(old, 3_000)
    // Retried until it works: this also waits out a broker restart.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ensureProducer()
        return
      } catch (error) {
        if (isFenced(error)) throw error
        const wait = Math.min(30_000, 500 * 2 ** attempt)
        this.log.warn('cannot re-initialise the transactional producer; retrying', {error, inMs: wait})
        await new Promise((r) => setTimeout(r, wait))
      }
    }
  }
}

function isFenced(error: unknown): boolean {
  for (
    let e = error as {type?: string; cause?: unknown; originalError?: unknown} | undefined;
    e;
    e = (e.cause ?? e.originalError) as typeof e
  ) {
    if (e.type && FENCED.has(e.type)) return true
  }
  return false
}
