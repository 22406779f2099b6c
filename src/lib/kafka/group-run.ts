import type {Admin, Consumer, EachBatchPayload, ConsumerGroupJoinEvent, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError, Unrecoverable} from '../errors.js'
import type {Logger} from '../output/log.js'
import {disconnectQuietly} from './client.js'
import {kafkaError} from './connection.js'
import {commitMetadata} from './commit-time.js'
import {DrainTracker} from './drain.js'
import {beforeRevoke} from './patches/revoke-hook.js'
import {toTopicOffsets, type PartitionOffset} from './requests.js'
import type {EnrichTuning} from './tuning.js'

/** The consumer settings a group run takes from the tuning (send's tuning has the first five too). */
export type ConsumerTuning = Pick<
  EnrichTuning,
  'sessionTimeout' | 'heartbeatInterval' | 'rebalanceTimeout' | 'maxWaitTimeInMs' | 'maxBytesPerPartition'
> &
  Partial<Pick<EnrichTuning, 'maxBytes' | 'partitionsConsumedConcurrently'>>

/** Which consumer read a batch, and as which group member. */
export interface BatchContext {
  consumer: Consumer
  member: string | undefined
}

/** A fetched batch of only transaction markers: it never reaches eachBatch, yet moves the position. */
export interface EmptyBatch {
  topic: string
  partition: number
  firstOffset: string | null
  lastOffset: string
}

export interface GroupRunOptions {
  kafka: Kafka
  admin: Admin
  /** For the one-line errors (brokers). */
  config: Config
  /** The consumer group: the one joined, and the one whose committed offsets a drain starts from. */
  group: string
  /** Join this group instead (a dry run's throwaway group); drain targets still come from `group`. */
  consumerGroupId?: string
  topics: string[]
  tuning: ConsumerTuning
  /** Run until `signal` aborts; otherwise stop at the end offsets seen at start (`fetchDrain`). */
  follow: boolean
  signal: AbortSignal
  log: Logger
  autoCommit: boolean
  /** Drain mode: poll `group`'s committed offsets, so partitions another member processed count as done (default true). */
  pollCommitted?: boolean
  /** A crash kafkajs does not restart from: start a fresh consumer 5 s later, or end the run with the error. */
  onCrash: 'restart' | 'fail'
  /** How long a consumer may take to leave the group (default 8 s; kafkajs' disconnect can hang). */
  disconnectTimeoutMs?: number
  eachBatch(payload: EachBatchPayload, context: BatchContext): Promise<void>
  onJoin?(payload: ConsumerGroupJoinEvent['payload'], consumer: Consumer): void
  /** The consumer crashed (restarted or not): it is out of the group until the next join. */
  onConsumerFailed?(error: Error): void
  /** Replaces the default handling of a marker-only batch: the drain counts its partition done up to it. */
  onEmptyBatch?(batch: EmptyBatch, member: string | undefined): void
  /**
   * Runs before a member gives up its partitions (rejoins or leaves the group), with no batch in
   * process: enrich commits what it processed there (patches/revoke-hook.ts), through `commit`
   * at-least-once.
   */
  beforeRevoke?(commit: (offsets: PartitionOffset[]) => Promise<void>): Promise<void>
}

export interface GroupRunEnd {
  /** Drained to the end offsets seen at start, stopped by the signal, or ended by `fail` / a crash. */
  stoppedBy: 'end' | 'signal' | 'error'
  error?: Error
}

/**
 * One consumer group member's consume loop, as enrich and send share it: a consumer built from
 * the tuning, subscribed from the beginning (for a group without committed offsets), running
 * `eachBatch` until the partitions are drained to the end offsets seen at start (unless
 * following), the signal aborts or the run fails; then `close()` leaves the group within a timeout.
 * A consumer can be replaced by a fresh one (`replace`), which reads on from the committed offsets.
 */
export class GroupRun {
  /** The drain targets (`fetchDrain`), or undefined when following. */
  drain: DrainTracker | undefined
  private current: Consumer | undefined
  private replacing: Promise<void> | undefined
  private readonly retired = new WeakSet<Consumer>()
  private closed = false
  private fatal: Error | undefined
  private onFatal: (error: Error) => void = () => {}
  private readonly fatalPromise = new Promise<Error>((resolve) => (this.onFatal = resolve))
  private stopPolling: (() => void) | undefined

  constructor(private readonly options: GroupRunOptions) {}

  /** The consumer now (undefined before the start, while it is being replaced, and once closing). */
  get consumer(): Consumer | undefined {
    return this.current
  }

  get isReplacing(): boolean {
    return this.replacing !== undefined
  }

  /** The error that ended (or will end) the run, if any. */
  get error(): Error | undefined {
    return this.fatal
  }

  /** Drain mode: the end offsets now against the group's committed offsets. Undefined when following. */
  async fetchDrain(): Promise<DrainTracker | undefined> {
    const {follow, admin, group, topics, config} = this.options
    if (follow) return undefined
    this.drain = await DrainTracker.fetch(admin, group, topics).catch((error) => {
      throw kafkaError(error, config, 'reading offsets')
    })
    return this.drain
  }

  /** Starts the consumer; resolves once drained, stopped by the signal, or failed. */
  async consume(): Promise<GroupRunEnd> {
    const {signal, admin, group, log, pollCommitted = true, config} = this.options
    if (this.drain && pollCommitted)
      this.stopPolling = this.drain.pollCommitted(admin, group, 2_000, (error) =>
        log.debug('cannot read committed offsets', {error}),
      )
    try {
      this.current = await this.start().catch((error) => {
        throw error instanceof FaError ? error : kafkaError(error, config, 'starting the consumer')
      })
      return await new Promise<GroupRunEnd>((resolve) => {
        if (signal.aborted) return resolve({stoppedBy: 'signal'})
        signal.addEventListener('abort', () => resolve({stoppedBy: 'signal'}), {once: true})
        this.drain?.done.then(() => resolve({stoppedBy: 'end'}))
        void this.fatalPromise.then((error) => resolve({stoppedBy: 'error', error}))
      })
    } finally {
      this.stopPolling?.()
    }
  }

  /**
   * Commits enrich's offsets (with the commit time, see commit-time.ts) through the consumer;
   * rejects unless they were committed (no consumer, or one that is stopping, commits nothing).
   */
  async commit(offsets: PartitionOffset[]): Promise<void> {
    const c = this.current
    if (!c) throw new Error('no consumer to commit through')
    let sent = false
    const stopListening = c.on(c.events.COMMIT_OFFSETS, () => (sent = true))
    try {
      const metadata = commitMetadata('fa-enrich')
      await c.commitOffsets(offsets.map((o) => ({...o, metadata})))
    } finally {
      stopListening()
    }
    if (!sent) throw new Error('the consumer is stopping: offsets not committed')
  }

  /** Ends the run with `error` (the first one counts). */
  fail(error: Error): void {
    if (this.fatal) return
    this.fatal = error
    this.onFatal(error)
  }

  /**
   * A fresh consumer instead of this one (after an expulsion: the old one would go on from its own
   * positions, which the group has moved past). Runs once at a time, logging `why` as it starts;
   * `close` waits for it.
   */
  replace(why: string): Promise<void> {
    this.replacing ??= (async () => {
      this.options.log.warn(why, {group: this.options.group})
      const old = this.current
      this.current = undefined
      if (old) this.retired.add(old)
      await disconnectQuietly(old, this.disconnectTimeoutMs)
      const fresh = await this.start()
      if (this.closed) await disconnectQuietly(fresh, this.disconnectTimeoutMs)
      else this.current = fresh
    })()
      .catch((error: Error) => this.fail(kafkaError(error, this.options.config, 'replacing the consumer')))
      .finally(() => (this.replacing = undefined))
    return this.replacing
  }

  /**
   * Leaves the group: waits for a replacement under way, runs `beforeDisconnect` while the
   * consumer is still a member (final commits), then disconnects it (kafkajs waits for the
   * batches in flight first) within the timeout.
   */
  async close(beforeDisconnect?: (consumer: Consumer) => Promise<void>): Promise<void> {
    this.closed = true
    this.stopPolling?.()
    await this.replacing
    const c = this.current
    this.current = undefined
    if (!c) return
    await beforeDisconnect?.(c)
    if (!(await disconnectQuietly(c, this.disconnectTimeoutMs)))
      this.options.log.warn('consumer did not disconnect in time')
  }

  private get disconnectTimeoutMs(): number {
    return this.options.disconnectTimeoutMs ?? 8_000
  }

  private async start(): Promise<Consumer> {
    const {kafka, tuning, signal, log, topics} = this.options
    const c = kafka.consumer({
      groupId: this.options.consumerGroupId ?? this.options.group,
      sessionTimeout: tuning.sessionTimeout,
      heartbeatInterval: tuning.heartbeatInterval,
      rebalanceTimeout: tuning.rebalanceTimeout,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      maxBytesPerPartition: tuning.maxBytesPerPartition,
      ...(tuning.maxBytes === undefined ? {} : {maxBytes: tuning.maxBytes}),
      readUncommitted: false,
      allowAutoTopicCreation: false,
      retry: {
        retries: 10,
        initialRetryTime: 300,
        maxRetryTime: 30_000,
        restartOnFailure: async () => !signal.aborted && !this.closed,
      },
    })
    let member: string | undefined
    let unhook = () => {}
    const {beforeRevoke: hook} = this.options
    c.on(c.events.GROUP_JOIN, ({payload}) => {
      member = payload.memberId
      unhook()
      if (hook) unhook = beforeRevoke(payload.memberId, (commit) => hook((offsets) => commit(toTopicOffsets(offsets))))
      this.options.onJoin?.(payload, c)
    })
    c.on(c.events.DISCONNECT, () => unhook())
    c.on(c.events.END_BATCH_PROCESS, ({payload}) => {
      if (payload.batchSize !== 0) return
      if (this.options.onEmptyBatch) this.options.onEmptyBatch(payload, member)
      else this.drain?.advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1)
    })
    c.on(c.events.CRASH, ({payload}) => {
      this.options.onConsumerFailed?.(payload.error)
      if (signal.aborted || this.closed || this.fatal || this.retired.has(c)) return
      log.warn('consumer failed', {error: payload.error, restart: payload.restart})
      if (payload.restart) return
      if (this.options.onCrash === 'fail') return this.fail(kafkaError(payload.error, this.options.config, 'consuming'))
      // kafkajs gives up on non-retriable errors; the stream must go on, so start a new consumer.
      setTimeout(() => {
        if (signal.aborted || this.closed || this.fatal) return
        this.start().then(
          (fresh) => (this.closed ? void disconnectQuietly(fresh, this.disconnectTimeoutMs) : (this.current = fresh)),
          (error: Error) => this.fail(kafkaError(error, this.options.config, 'restarting the consumer')),
        )
      }, 5_000)
    })
    try {
      await c.connect()
      await c.subscribe({topics, fromBeginning: true})
      await c.run({
        autoCommit: this.options.autoCommit,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently ?? 1,
        eachBatch: async (payload) => {
          try {
            await this.options.eachBatch(payload, {consumer: c, member})
          } catch (error) {
            // What no retry mends (refused credentials) stops the run (the batch is not resolved).
            if (error instanceof Unrecoverable) this.fail(error)
            throw error
          }
        },
      })
    } catch (error) {
      await disconnectQuietly(c, 3_000)
      throw error
    }
    return c
  }
}
