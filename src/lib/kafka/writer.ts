import type {Kafka, Message, Producer, TopicMessages, TopicOffsets} from 'kafkajs'

import {FaError} from '../errors.js'
import {silentLogger, type Logger} from '../output/log.js'
import {createProducer, disconnectQuietly} from './client.js'
import {commitMetadata} from './commit-time.js'
import {guardCommits, unguardCommits} from './patches/commit-guard.js'

/** The next offset to read in one partition: what a consumer group commits. */
export interface PartitionOffset {
  topic: string
  partition: number
  offset: string
}

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
  log?: Logger
  /** Estimated bytes per produce request; below the broker's message.max.bytes (1 MiB default). */
  maxRequestBytes?: number
  /** Estimated bytes of records taken into one flush (one transaction). */
  maxFlushBytes?: number
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

interface Submission {
  messages: Map<string, Message[]>
  bytes: number
  offsets: PartitionOffset[]
  member?: string
  resolve: () => void
  reject: (error: Error) => void
}

const FENCED = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'INVALID_PRODUCER_ID_MAPPING',
])

/**
 * Writes what the pipelines produce. Submissions from concurrently processed batches are merged
 * into one flush (one produce round, or one transaction), so throughput does not pay a broker
 * round trip per partition batch. Requests are cut to stay under the broker's record batch size.
 */
export class OutputWriter {
  private producer: Producer | undefined
  private readonly queue: Submission[] = []
  private flushing: Promise<void> | undefined
  private readonly log: Logger
  /** Set when this instance was fenced by another with the same transactional id. */
  fatal: FaError | undefined
  /** The check the commit guard runs for the transaction being committed. */
  private commitCheck: (() => Promise<void>) | undefined
  flushes = 0
  records = 0

  constructor(private readonly options: WriterOptions) {
    this.log = (options.log ?? silentLogger).child({component: 'producer'})
  }

  get transactional(): boolean {
    return this.options.transactionalId !== undefined
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
      this.queue.push({messages, bytes, offsets, member, resolve, reject})
      this.flushing ??= this.drain().finally(() => (this.flushing = undefined))
    })
  }

  async close(timeoutMs = 5_000): Promise<void> {
    await this.flushing?.catch(() => {})
    if (this.options.transactionalId) unguardCommits(this.options.transactionalId)
    const producer = this.producer
    this.producer = undefined
    if (!(await disconnectQuietly(producer, timeoutMs))) this.log.warn('producer did not disconnect in time')
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const taken: Submission[] = []
      let bytes = 0
      const maxFlush = this.options.maxFlushBytes ?? 16 << 20
      while (this.queue.length > 0 && (taken.length === 0 || bytes + this.queue[0]!.bytes <= maxFlush)) {
        const next = this.queue.shift()!
        bytes += next.bytes
        taken.push(next)
      }
      try {
        await (this.transactional ? this.flushTransaction(taken) : this.flushPlain(taken))
        this.flushes++
        for (const s of taken) s.resolve()
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error))
        for (const s of taken) s.reject(this.fatal ?? err)
      }
    }
  }

  private async flushPlain(taken: Submission[]): Promise<void> {
    const producer = await this.ensureProducer()
    const requests = this.requests(taken)
    await Promise.all(requests.map((topicMessages) => producer.sendBatch({topicMessages, acks: -1})))
    this.records += count(requests)
    this.log.debug('produced', {records: count(requests), requests: requests.length, batches: taken.length})
  }

  private async flushTransaction(taken: Submission[]): Promise<void> {
    const producer = await this.ensureProducer()
    const requests = this.requests(taken)
    const offsets = mergeOffsets(taken.flatMap((s) => s.offsets))
    const members = [...new Set(taken.flatMap((t) => (t.member === undefined ? [] : [t.member])))]
    const check =
      offsets.length > 0 && this.options.beforeCommit ? () => this.options.beforeCommit!(members) : undefined
    const transaction = await producer.transaction()
    try {
      for (const topicMessages of requests) await transaction.sendBatch({topicMessages, acks: -1})
      if (offsets.length > 0)
        await transaction.sendOffsets({consumerGroupId: this.options.groupId, topics: toTopicOffsets(offsets)})
      this.commitCheck = check
      await transaction.commit()
      this.commitCheck = undefined
      this.records += count(requests)
      this.options.onTransaction?.('committed')
      this.log.debug('transaction committed', {
        records: count(requests),
        requests: requests.length,
        batches: taken.length,
      })
    } catch (error) {
      this.commitCheck = undefined
      if (isFenced(error)) {
        this.fatal = new FaError(
          `another fa enrich took over transactional id ${this.options.transactionalId} (fenced)`,
          {
            exit: 'kafka',
            hint: 'give every instance of a group its own --instance',
            cause: error,
          },
        )
        throw this.fatal
      }
      this.log.warn('transaction failed; aborting it, then retrying from the committed offsets', {
        error,
        records: count(requests),
      })
      // The commit may or may not have happened (a timeout is ambiguous). A fresh producer with the
      // same transactional id completes or aborts it for good; then the consumer rewinds to what
      // is committed, so nothing is lost and nothing is written twice.
      await transaction.abort().catch(() => {})
      this.options.onTransaction?.('aborted')
      await this.resetProducer()
      await this.options.onTransactionFailed?.(offsets)
      throw error
    }
  }

  /** The messages of `taken`, per topic in submission order, cut into requests below maxRequestBytes. */
  private requests(taken: Submission[]): TopicMessages[][] {
    const max = this.options.maxRequestBytes ?? 900_000
    const requests: TopicMessages[][] = []
    let current = new Map<string, Message[]>()
    let bytes = 0
    for (const submission of taken) {
      for (const [topic, messages] of submission.messages) {
        for (const message of messages) {
          const size = messageBytes(message)
          if (bytes > 0 && bytes + size > max) {
            requests.push(toTopicMessages(current))
            current = new Map()
            bytes = 0
          }
          const list = current.get(topic)
          if (list) list.push(message)
          else current.set(topic, [message])
          bytes += size
        }
      }
    }
    if (current.size > 0) requests.push(toTopicMessages(current))
    return requests
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

/** Approximate bytes of a message on the wire: value, key, headers and record overhead. */
export function messageBytes(message: Message): number {
  let bytes = 32
  const {value, key, headers} = message
  if (value) bytes += typeof value === 'string' ? Buffer.byteLength(value) : value.length
  if (key) bytes += typeof key === 'string' ? Buffer.byteLength(key) : key.length
  if (headers) for (const name in headers) bytes += name.length + 8 + String(headers[name]).length
  return bytes
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

function mergeOffsets(offsets: PartitionOffset[]): PartitionOffset[] {
  const merged = new Map<string, PartitionOffset>()
  for (const o of offsets) {
    const k = `${o.topic}\u0000${o.partition}`
    const seen = merged.get(k)
    if (!seen || BigInt(o.offset) > BigInt(seen.offset)) merged.set(k, o)
  }
  return [...merged.values()]
}

/** With the commit time in each partition's metadata (kafkajs passes it on to TxnOffsetCommit). */
function toTopicOffsets(offsets: PartitionOffset[]): TopicOffsets[] {
  const byTopic = new Map<string, TopicOffsets>()
  const metadata = commitMetadata('fa-enrich')
  for (const {topic, partition, offset} of offsets) {
    const entry = byTopic.get(topic) ?? {topic, partitions: []}
    entry.partitions.push({partition, offset, metadata} as TopicOffsets['partitions'][number])
    byTopic.set(topic, entry)
  }
  return [...byTopic.values()]
}

const toTopicMessages = (map: Map<string, Message[]>): TopicMessages[] =>
  [...map].map(([topic, messages]) => ({topic, messages}))
const count = (requests: TopicMessages[][]) =>
  requests.reduce((n, r) => n + r.reduce((m, t) => m + t.messages.length, 0), 0)
