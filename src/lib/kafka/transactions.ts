import type {Producer, Transaction} from 'kafkajs'

import type {Logger} from '../output/log.js'
import {
  countMessages,
  cutByPartition,
  mergeOffsets,
  toTopicOffsets,
  type PartitionOffset,
  type Submission,
} from './requests.js'

/** What the transaction loop needs from the writer that owns the producer. */
export interface TransactionHost {
  producer(): Promise<Producer>
  /** A fresh producer with the same transactional id: completes or aborts the failed transaction for good. */
  reset(): Promise<void>
  /** The error to end the run with if `error` means another instance fenced this one (the writer records it). */
  fenced(error: unknown): Error | undefined
  /** The check the commit guard runs right before the next EndTxn(commit) (none: undefined). */
  commitCheck(check: (() => Promise<void>) | undefined): void
  /** The number of partitions of each topic. */
  partitionCounts(topics: string[]): Promise<Map<string, number>>
}

export interface TransactionLoopOptions {
  groupId: string
  log: Logger
  /** A transaction is committed once it is this old (ms), as Kafka Streams' commit.interval.ms. */
  commitIntervalMs: number
  /** ... or holds this many bytes of records. */
  maxTransactionBytes: number
  /** Bytes per partition in a request (the broker's limit is per partition's record batch) ... */
  maxRequestBytes: number
  /** ... and in all. */
  maxRequestTotalBytes: number
  /** `room()` waits while more than this many submitted bytes are not sent yet. */
  maxQueuedBytes: number
  beforeCommit?: (members: string[]) => Promise<void>
  onTransaction?: (result: 'committed' | 'aborted') => void
  onTransactionFailed?: (partitions: PartitionOffset[]) => Promise<void>
}

interface Open {
  transaction: Transaction
  startedAt: number
  taken: Submission[]
  bytes: number
  records: number
}

/**
 * Runs `fn` again while the coordinator answers CONCURRENT_TRANSACTIONS: right after a commit it
 * does until the commit's markers are written. kafkajs retries that for AddPartitionsToTxn, not
 * for AddOffsetsToTxn, whose failure would abort the transaction (the Java client retries both).
 */
async function whileConcurrent<T>(fn: () => Promise<T>, forMs = 10_000): Promise<T> {
  const until = Date.now() + forMs
  for (let waitMs = 10; ; waitMs = Math.min(2 * waitMs, 500)) {
    try {
      return await fn()
    } catch (error) {
      if ((error as {type?: unknown}).type !== 'CONCURRENT_TRANSACTIONS' || Date.now() + waitMs > until) throw error
      await new Promise((resolve) => setTimeout(resolve, waitMs))
    }
  }
}

/**
 * Exactly-once output as Kafka Streams writes it: one transaction spans many submissions (fetched
 * batches), its records are produced as they arrive (while the caller processes the next batch),
 * and it commits with the offsets of everything in it once it is `commitIntervalMs` old or
 * `maxTransactionBytes` big, or when asked (`flush`: before a rebalance, at shutdown). Each
 * submission resolves when its transaction commits. A failed transaction fails, and rewinds the
 * partitions of, everything submitted until the rewind is in place: later submissions of a
 * rewound partition would otherwise commit offsets past the records that were not written.
 */
export class TransactionLoop {
  private readonly queue: Submission[] = []
  private queuedBytes = 0
  private open: Open | undefined
  private active = false
  private flushWanted = false
  private wake: (() => void) | undefined
  private roomWaiters: Array<() => void> = []
  private done: Promise<void> = Promise.resolve()
  private finished: () => void = () => {}
  /** Transactions that failed so far: a caller that began a batch before one failed must not submit it. */
  failures = 0

  constructor(
    private readonly host: TransactionHost,
    private readonly options: TransactionLoopOptions,
  ) {}

  submit(submission: Submission): void {
    this.queue.push(submission)
    this.queuedBytes += submission.bytes
    this.kick()
  }

  /** Resolves once the records submitted and not yet sent are below maxQueuedBytes (backpressure). */
  room(): Promise<void> {
    if (this.queuedBytes <= this.options.maxQueuedBytes) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /** Commits what was submitted so far now; resolves once all of it is committed or failed. */
  flush(): Promise<void> {
    if (!this.active) return Promise.resolve()
    this.flushWanted = true
    this.kick()
    return this.done
  }

  private kick(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
    if (this.active) return
    this.active = true
    this.done = new Promise((resolve) => (this.finished = resolve))
    void this.loop()
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.open && this.due(this.open)) await this.commit(this.open)
      else if (this.queue.length > 0) await this.send()
      else if (this.open) await this.sleep(this.open.startedAt + this.options.commitIntervalMs - Date.now())
      else {
        // Checked and cleared in one step: a submission after this starts a new loop.
        this.active = false
        this.flushWanted = false
        this.finished()
        return
      }
    }
  }

  private due(open: Open): boolean {
    return (
      this.flushWanted ||
      open.bytes >= this.options.maxTransactionBytes ||
      Date.now() - open.startedAt >= this.options.commitIntervalMs
    )
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, Math.max(0, ms))
      function wake() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = wake
    })
  }

  /** Produces what is queued (up to the transaction's size limit) in the open transaction. */
  private async send(): Promise<void> {
    const taken: Submission[] = []
    let bytes = 0
    const limit = Math.max(0, this.options.maxTransactionBytes - (this.open?.bytes ?? 0))
    while (this.queue.length > 0 && (taken.length === 0 || bytes + this.queue[0]!.bytes <= limit)) {
      const next = this.queue.shift()!
      bytes += next.bytes
      taken.push(next)
    }
    this.queuedBytes -= bytes
    this.releaseRoom()
    let open = this.open
    try {
      if (!open) {
        const transaction = await (await this.host.producer()).transaction()
        open = this.open = {transaction, startedAt: Date.now(), taken: [], bytes: 0, records: 0}
      }
      open.taken.push(...taken)
      open.bytes += bytes
      const counts = await this.host.partitionCounts([...new Set(taken.flatMap((s) => [...s.messages.keys()]))])
      const {maxRequestBytes, maxRequestTotalBytes} = this.options
      // kafkajs sends one request at a time here (its idempotent lock): fewer, larger ones go faster.
      for (const topicMessages of cutByPartition(taken, counts, maxRequestBytes, maxRequestTotalBytes)) {
        await open.transaction.sendBatch({topicMessages, acks: -1})
        open.records += countMessages([topicMessages])
      }
      // Sent: the transaction holds them now; only the offsets are needed for the commit.
      for (const s of taken) s.messages = new Map()
    } catch (error) {
      await this.fail(error, open ? [] : taken)
    }
  }

  private async commit(open: Open): Promise<void> {
    const offsets = mergeOffsets(open.taken.flatMap((s) => s.offsets))
    const members = [...new Set(open.taken.flatMap((s) => (s.member === undefined ? [] : [s.member])))]
    const {beforeCommit} = this.options
    try {
      if (offsets.length > 0) {
        const topics = toTopicOffsets(offsets)
        await whileConcurrent(() => open.transaction.sendOffsets({consumerGroupId: this.options.groupId, topics}))
      }
      this.host.commitCheck(offsets.length > 0 && beforeCommit ? () => beforeCommit(members) : undefined)
      await open.transaction.commit()
    } catch (error) {
      this.host.commitCheck(undefined)
      return this.fail(error)
    }
    this.host.commitCheck(undefined)
    this.open = undefined
    if (this.queue.length === 0) this.flushWanted = false
    this.options.onTransaction?.('committed')
    this.options.log.debug('transaction committed', {
      records: open.records,
      batches: open.taken.length,
      ms: Date.now() - open.startedAt,
    })
    for (const s of open.taken) s.resolve()
  }

  /** Aborts the open transaction and fails (and rewinds) everything submitted until the rewind is in place. */
  private async fail(error: unknown, notOpen: Submission[] = []): Promise<void> {
    this.failures++
    const open = this.open
    this.open = undefined
    let failed = [...(open?.taken ?? []), ...notOpen]
    let reason = this.host.fenced(error)
    if (!reason) {
      reason = error instanceof Error ? error : new Error(String(error))
      this.options.log.warn('transaction failed; aborting it, then retrying from the committed offsets', {
        error,
        records: open?.records ?? 0,
      })
      // The commit may or may not have happened (a timeout is ambiguous). A fresh producer with the
      // same transactional id completes or aborts it for good; then the consumer rewinds to what
      // is committed, so nothing is lost and nothing is written twice.
      await open?.transaction.abort().catch(() => {})
      if (open) this.options.onTransaction?.('aborted')
      await this.host.reset().catch((e: unknown) => (reason = this.host.fenced(e) ?? reason))
    }
    for (;;) {
      failed.push(...this.queue.splice(0))
      this.queuedBytes = 0
      this.releaseRoom()
      await this.options
        .onTransactionFailed?.(mergeOffsets(failed.flatMap((s) => s.offsets)))
        .catch((e: unknown) => this.options.log.warn('cannot rewind to the committed offsets', {error: e}))
      for (const s of failed) s.reject(reason)
      if (this.queue.length === 0) return
      failed = []
    }
  }

  private releaseRoom(): void {
    if (this.queuedBytes > this.options.maxQueuedBytes) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const w of waiters) w()
  }
}
