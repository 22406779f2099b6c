import {hostname} from 'node:os'
import {randomUUID} from 'node:crypto'

import type {Admin, Consumer, EachBatchPayload, KafkaMessage, Message} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {silentLogger, type Logger} from '../output/log.js'
import {progressBar} from '../output/progress.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {Header} from '../records/headers.js'
import type {TopicRecord} from '../records/record.js'
import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from './client.js'
import {decodeHeaders, fromKafka, toKafka} from './codec.js'
import {kafkaError} from './connection.js'
import {committedOffsets, DrainTracker, partitionKey} from './drain.js'
import {TableLoader, type TableStats} from './table-loader.js'
import {defaultTuning, type EnrichTuning} from './tuning.js'
import {requireTopics} from './topics.js'
import {messageBytes, OutputWriter, type PartitionOffset} from './writer.js'

export type Guarantee = 'at-least-once' | 'exactly-once'

export interface EnrichOptions {
  config: Config
  topology: Topology
  /** Consumer group (default: config enrich.group). */
  group?: string
  exactlyOnce?: boolean
  /** Part of the transactional id: stable per instance, distinct between instances of a group (default: host name). */
  instance?: string
  /** Run until `signal` aborts; otherwise stop at the end offsets seen at start. */
  follow?: boolean
  signal?: AbortSignal
  log?: Logger
  tuning?: Partial<EnrichTuning>
  /** Progress bars on a TTY (default true). */
  progress?: boolean
  env?: NodeJS.ProcessEnv
}

export interface LagReport {
  total: number
  topics: Record<string, number>
}

export interface EnrichResult {
  guarantee: Guarantee
  group: string
  transactionalId: string | null
  follow: boolean
  /** Why the run ended: it reached the end offsets seen at start, or a signal stopped it. */
  stoppedBy: 'end' | 'signal'
  summary: Summary
  tables: TableStats[]
  bootstrap: {records: number; ms: number}
  /** Records of the source topics not yet processed when the run ended (null if it could not be read). */
  lag: LagReport | null
  ms: number
  /** Time spent consuming the source topics (from starting the consumer to the end offsets, or to the signal). */
  streamMs: number
  /** When the consumer started, and when the last batch was written and committed (epoch ms; null: none). */
  streamStartedAt: number | null
  lastBatchAt: number | null
}

/** The transactional id of one instance: prefix, group and instance, e.g. `fa-enrich-fa-enrich-host1`. */
export function transactionalIdFor(config: Config, group: string, instance: string): string {
  return `${config.enrich.transactionalIdPrefix}-${group}-${instance}`
}

/**
 * `fa enrich`: loads the tables (GlobalKTable-style), then consumes the pipelines' source topics
 * in a consumer group, runs every record through the topology and writes alerts and dead letters
 * back to Kafka. At-least-once by default (offsets committed only after the outputs are
 * acknowledged); exactly-once with Kafka transactions. Without `follow`, it stops at the end
 * offsets seen at start.
 */
export async function runEnrich(options: EnrichOptions): Promise<EnrichResult> {
  const started = Date.now()
  const {config, topology} = options
  const log = options.log ?? silentLogger
  const tuning: EnrichTuning = {...defaultTuning, ...options.tuning}
  const group = options.group ?? config.enrich.group
  const guarantee: Guarantee = options.exactlyOnce ? 'exactly-once' : 'at-least-once'
  const transactionalId = options.exactlyOnce ? transactionalIdFor(config, group, options.instance ?? hostname()) : null
  const follow = Boolean(options.follow)
  const signal = options.signal ?? new AbortController().signal
  const sources = topology.sourceTopics
  const summary = new Summary()
  const tables = new TableStore()
  // An error the run cannot recover from (fenced by another instance, consumer cannot restart).
  let failFatal: (error: Error) => void = () => {}
  const fatalPromise = new Promise<Error>((resolve) => (failFatal = resolve))

  const kafka = await createKafka(config, {log, clientIdSuffix: 'enrich', env: options.env})
  log.info('enrich starting', {
    group,
    guarantee,
    follow,
    transactionalId: transactionalId ?? undefined,
    sources,
    tables: topology.tableTopics.map((t) => t.topic),
  })

  let admin: Admin | undefined
  let consumer: Consumer | undefined
  let loader: TableLoader | undefined
  let writer: OutputWriter | undefined
  let stoppedBy: EnrichResult['stoppedBy'] = 'end'
  let bootstrap = {records: 0, ms: 0}
  let lag: LagReport | null = null
  let streamMs = 0
  let streamStartedAt: number | null = null
  let lastBatchAt: number | null = null
  let closed = false
  /** A consumer replacement under way (after an expulsion), and the consumers it retired. */
  let replacing: Promise<void> | undefined
  const retired = new WeakSet<Consumer>()
  try {
    admin = await retryInFollow(() => connectAdmin(kafka, config), {follow, signal, log, what: 'connecting to Kafka'})
    const needed = [
      ...sources,
      ...topology.tableTopics.map((t) => t.topic),
      topology.deadLetterTopic,
      ...topology.alertTypes.map((a) => topology.topic(a.sink)),
    ]
    await requireTopics(admin, config, needed)

    const activeAdmin = admin
    writer = new OutputWriter({
      kafka,
      transactionalId: transactionalId ?? undefined,
      groupId: group,
      log,
      maxRequestBytes: tuning.maxRequestBytes,
      onTransactionFailed: (partitions) => rewind(partitions),
      beforeCommit: (members) => assertStillMembers(members),
    })
    const activeWriter = writer
    // Connecting a transactional producer fences an earlier incarnation of this instance and
    // aborts its open transaction, so it must happen before the consumer reads any offset.
    await retryInFollow(() => activeWriter.connect(), {follow, signal, log, what: 'connecting the producer'}).catch(
      (error) => {
        throw error instanceof FaError ? error : kafkaError(error, config, 'connecting the producer')
      },
    )

    loader = new TableLoader({
      kafka,
      admin,
      topology,
      tables,
      groupId: `${group}-tables-${randomUUID()}`,
      deadLetters: (records) => {
        const messages = records.map((r) => checkedMessage(r, tuning, log))
        return activeWriter.submit(
          groupByTopic(messages),
          messages.reduce((n, m) => n + m.bytes, 0),
        )
      },
      log,
      summary,
      progress: options.progress,
      consumer: {
        sessionTimeout: tuning.sessionTimeout,
        heartbeatInterval: tuning.heartbeatInterval,
        rebalanceTimeout: tuning.rebalanceTimeout,
      },
    })
    try {
      bootstrap = await loader.start(signal)
    } catch (error) {
      if (signal.aborted) {
        stoppedBy = 'signal'
        return await finish()
      }
      throw kafkaError(error, config, 'loading tables')
    }

    // Cron mode: where to stop (end offsets now) and where we start (committed offsets).
    const drain = follow ? undefined : await DrainTracker.fetch(activeAdmin, group, sources)
    const totalToProcess = drain?.total ?? 0
    let processed = 0
    if (drain && drain.remaining === 0) {
      log.info('nothing to do: the group is at the end of every source partition', {group})
      return await finish()
    }

    /**
     * Exactly-once: the next offset of each partition as this process's own transactions
     * committed it. kafkajs cannot ask for stable committed offsets (KIP-447's require_stable):
     * a consumer that rejoins while the markers of a committed transaction are not written yet
     * (a broker that just restarted) is told the offset from before it, and would write those
     * records again.
     */
    const committedHere = new Map<string, bigint>()

    /** One fetched batch through the core and out; `member`: the group member id it was read as. */
    const eachBatch = async ({batch, pause, isStale}: EachBatchPayload, member: string | undefined) => {
      if (activeWriter.fatal) throw activeWriter.fatal
      const {topic, partition} = batch
      const key = partitionKey(topic, partition)
      const known = committedHere.get(key)
      const first = batch.firstOffset()
      if (known !== undefined && first !== null && BigInt(first) < known) {
        log.info('read on from the offset this process committed, not the older one the group reported', {
          topic,
          partition,
          reported: first,
          committed: String(known),
        })
        consumer?.seek({topic, partition, offset: String(known)})
        return
      }
      const outcomes: Outcome[][] = new Array(batch.messages.length)
      const outputs = new Map<string, Message[]>()
      let bytes = 0
      for (let i = 0; i < batch.messages.length; i++) {
        const message = batch.messages[i]!
        const result = processMessage(topology, tables, topic, partition, message)
        outcomes[i] = result
        for (const outcome of result) {
          if (outcome.kind !== 'alert' && outcome.kind !== 'dead-letter') continue
          const out = checkedMessage(outcome.output, tuning, log)
          bytes += out.bytes
          const list = outputs.get(outcome.output.topic)
          if (list) list.push(out.message)
          else outputs.set(outcome.output.topic, [out.message])
        }
      }
      // A rebalance or seek made this batch stale: another member (or a re-read) handles it.
      if (isStale()) return
      const nextOffset = BigInt(batch.lastOffset()) + 1n
      const next = String(nextOffset)
      await activeWriter.submit(outputs, bytes, [{topic, partition, offset: next}], member)
      if (transactionalId) committedHere.set(key, nextOffset)
      lastBatchAt = Date.now()
      for (const result of outcomes) summary.add(result)
      processed += batch.messages.length
      if (drain?.advance(topic, partition, Number(next))) pause()
      // No heartbeat() here: it throws when the group rebalances, which would fail a batch that is
      // already written (and, at-least-once, write it again). kafkajs heartbeats after each batch.
    }

    /**
     * A member that stalled past its session timeout (a long pause, a network cut) has been
     * expelled and its partitions handed on; batches it read before must not commit, or they would
     * be written twice, even after it joined again (as a new member). Checked just before each
     * commit, against the member that read each batch; what is left open is a stall between this
     * answer and the commit request, a few microtasks.
     */
    async function assertStillMembers(readBy: string[]): Promise<void> {
      if (readBy.length === 0) return
      const asked = performance.now()
      const {groups} = await activeAdmin.describeGroups([group])
      const members = groups[0]?.members ?? []
      const ms = Math.round(performance.now() - asked)
      const gone = !readBy.every((id) => members.some((m) => m.memberId === id))
      // An answer that took long may be stale: the process may have been frozen after it was sent.
      if (gone || ms > tuning.sessionTimeout / 3) {
        void replaceConsumer()
        throw new FaError(
          gone
            ? `this instance was expelled from group ${group} (no heartbeat within the session timeout) while a batch was in flight; the batch is aborted and whoever owns its partition now processes it`
            : `group ${group} took ${ms} ms to say who its members are: this instance may have been expelled meanwhile, so the batch is aborted and read again`,
        )
      }
    }

    /**
     * After an expulsion: a fresh consumer, which reads every partition it is given from the
     * committed offsets. The old one would go on from its own positions, which its successor has
     * moved past in the meantime. Not awaited by the batch that found out: disconnecting waits for it.
     */
    function replaceConsumer(): Promise<void> {
      replacing ??= (async () => {
        const old = consumer
        consumer = undefined
        if (old) retired.add(old)
        log.warn('expelled from the group: replacing the consumer, to read on from the committed offsets', {group})
        await disconnectQuietly(old, 8_000)
        const fresh = await startConsumer()
        if (closed) await disconnectQuietly(fresh, 8_000)
        else consumer = fresh
      })()
        .catch((error: Error) => failFatal(kafkaError(error, config, 'replacing the consumer')))
        .finally(() => (replacing = undefined))
      return replacing
    }

    /** After a failed transaction: read again from what is committed (nothing of it is lost or doubled). */
    async function rewind(partitions: PartitionOffset[]): Promise<void> {
      if (!consumer || replacing || partitions.length === 0) return
      const committed = await committedOffsets(activeAdmin, group, [...new Set(partitions.map((p) => p.topic))])
      for (const {topic, partition} of partitions) {
        const offset = committed.get(partitionKey(topic, partition))?.offset ?? -1
        if (offset >= 0) consumer.seek({topic, partition, offset: String(offset)})
      }
      log.info('rewound to the committed offsets', {partitions: partitions.length})
    }

    const bar =
      follow || options.progress === false ? undefined : progressBar('events', Math.max(1, totalToProcess), 'records')
    const ticker = bar ? setInterval(() => bar.update(Math.min(processed, totalToProcess)), 200) : undefined
    let lastReport = {at: Date.now(), records: 0}
    const reporter = setInterval(() => {
      if (summary.records === lastReport.records) return
      const rate = Math.round(((summary.records - lastReport.records) * 1000) / (Date.now() - lastReport.at))
      lastReport = {at: Date.now(), records: summary.records}
      log.info('progress', {records: summary.records, perSecond: rate, ...summary.totals})
    }, 60_000)
    // Cron mode also asks the broker: partitions another member processed, or whose last records
    // are transaction markers, count as done once their committed offset reaches the target.
    const stopPolling = drain?.pollCommitted(activeAdmin, group, 2_000, (error) =>
      log.debug('cannot read committed offsets', {error}),
    )

    const streamStarted = Date.now()
    streamStartedAt = streamStarted
    try {
      consumer = await startConsumer()
      await new Promise<void>((resolve, reject) => {
        if (signal.aborted) stoppedBy = 'signal'
        if (signal.aborted) return resolve()
        signal.addEventListener('abort', () => ((stoppedBy = 'signal'), resolve()), {once: true})
        drain?.done.then(resolve)
        fatalPromise.then(reject)
      })
    } finally {
      streamMs = Date.now() - streamStarted
      clearInterval(ticker)
      clearInterval(reporter)
      stopPolling?.()
      if (bar) {
        bar.update(Math.min(processed, totalToProcess))
        bar.stop()
      }
    }
    return await finish()

    async function startConsumer(): Promise<Consumer> {
      const c = kafka.consumer({
        groupId: group,
        sessionTimeout: tuning.sessionTimeout,
        heartbeatInterval: tuning.heartbeatInterval,
        rebalanceTimeout: tuning.rebalanceTimeout,
        maxWaitTimeInMs: tuning.maxWaitTimeInMs,
        maxBytesPerPartition: tuning.maxBytesPerPartition,
        maxBytes: tuning.maxBytes,
        readUncommitted: false,
        allowAutoTopicCreation: false,
        retry: {
          retries: 10,
          initialRetryTime: 300,
          maxRetryTime: 30_000,
          restartOnFailure: async () => !signal.aborted,
        },
      })
      let member: string | undefined
      c.on(c.events.GROUP_JOIN, ({payload}) => {
        member = payload.memberId
        const assigned = Object.entries(payload.memberAssignment)
          .map(([topic, partitions]) => `${topic}[${partitions.join(',')}]`)
          .join(' ')
        log.info('joined the group', {group, assigned: assigned || '(nothing)'})
      })
      c.on(c.events.END_BATCH_PROCESS, ({payload}) => {
        // Batches of only transaction markers never reach eachBatch but still move the position.
        if (payload.batchSize === 0) drain?.advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1)
      })
      c.on(c.events.CRASH, ({payload}) => {
        if (signal.aborted || activeWriter.fatal || retired.has(c)) return
        log.warn('consumer failed', {error: payload.error, restart: payload.restart})
        if (!payload.restart) {
          // kafkajs gives up on non-retriable errors; the stream must go on, so start a new consumer.
          setTimeout(() => {
            if (signal.aborted || activeWriter.fatal) return
            startConsumer().then(
              (fresh) => (consumer = fresh),
              (error: Error) => failFatal(kafkaError(error, config, 'restarting the consumer')),
            )
          }, 5_000)
        }
      })
      await c.connect()
      await c.subscribe({topics: sources, fromBeginning: true})
      await c.run({
        autoCommit: !transactionalId,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
        eachBatch: async (payload) => {
          try {
            await eachBatch(payload, member)
          } catch (error) {
            if (activeWriter.fatal) failFatal(activeWriter.fatal)
            else
              log.warn('batch failed; it will be retried', {
                topic: payload.batch.topic,
                partition: payload.batch.partition,
                error,
              })
            throw error
          }
        },
      })
      return c
    }
  } finally {
    // Reached on errors too: never leave clients connected (a cron run would not exit).
    await shutdown()
  }

  async function finish(): Promise<EnrichResult> {
    const tableStats = loader?.tableStats() ?? []
    await shutdown()
    return {
      guarantee,
      group,
      transactionalId,
      follow,
      stoppedBy,
      summary,
      tables: tableStats,
      bootstrap,
      lag,
      ms: Date.now() - started,
      streamMs,
      streamStartedAt,
      lastBatchAt,
    }
  }

  async function shutdown(): Promise<void> {
    closed = true
    await replacing
    // Order: stop reading (kafkajs waits for the batches in flight, which wait for their writes
    // and commits), then the producer, then the tables; lag is read last, after the final commits.
    const c = consumer
    consumer = undefined
    if (c && !(await disconnectQuietly(c, 8_000))) log.warn('consumer did not disconnect in time')
    const w = writer
    writer = undefined
    await w?.close(3_000)
    const l = loader
    loader = undefined
    await l?.stop(3_000).catch(() => {})
    const a = admin
    admin = undefined
    if (a) {
      lag =
        (await withTimeout(
          readLag(a, group, sources).catch(() => null),
          5_000,
        )) ?? null
      await disconnectQuietly(a, 3_000)
    }
    if (c || w) log.info('enrich stopped', {records: summary.records, ...summary.totals, lag: lag?.total})
  }
}

/** One record through the core; a record fa cannot even decode becomes a dead letter, never a crash. */
function processMessage(
  topology: Topology,
  tables: TableStore,
  topic: string,
  partition: number,
  message: KafkaMessage,
): Outcome[] {
  let record: TopicRecord | undefined
  try {
    record = fromKafka(topic, partition, message)
    return topology.process(record, tables)
  } catch (error) {
    const source: TopicRecord = record ?? {
      topic,
      key: message.key?.toString('utf8') ?? null,
      value: message.value,
      headers: safeHeaders(message),
      origin: {kind: 'kafka', partition, offset: message.offset},
    }
    return [topology.deadLetter('enrich', source, `fa could not process the record: ${(error as Error).message}`)]
  }
}

function safeHeaders(message: KafkaMessage): Record<string, string> {
  try {
    return decodeHeaders(message.headers)
  } catch {
    return {}
  }
}

/**
 * A record as a kafkajs message, with its size. One above maxRecordBytes (the broker would refuse
 * it, and refuse it again on every retry) becomes a dead letter without its value.
 */
function checkedMessage(
  record: TopicRecord,
  tuning: EnrichTuning,
  log: Logger,
): {message: Message; bytes: number; topic: string} {
  const message = toKafka(record)
  const bytes = messageBytes(message)
  if (bytes <= tuning.maxRecordBytes) return {message, bytes, topic: record.topic}
  log.warn('output record too large; writing a dead letter without its value', {topic: record.topic, bytes})
  const headers = {
    ...record.headers,
    [Header.error]: `output record too large for Kafka (${bytes} bytes; value omitted)`,
  }
  const small: Message = {key: message.key, value: null, headers, timestamp: message.timestamp}
  return {message: small, bytes: messageBytes(small), topic: record.topic}
}

function groupByTopic(items: Array<{message: Message; topic: string}>): Map<string, Message[]> {
  const map = new Map<string, Message[]>()
  for (const {message, topic} of items) {
    const list = map.get(topic)
    if (list) list.push(message)
    else map.set(topic, [message])
  }
  return map
}

/** Records of the source topics the group has not committed yet. */
export async function readLag(admin: Admin, group: string, topics: string[]): Promise<LagReport> {
  const committed = await committedOffsets(admin, group, topics)
  const report: LagReport = {total: 0, topics: {}}
  for (const topic of topics) {
    let lag = 0
    for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
      lag += Math.max(
        0,
        Number(high) - Math.max(Number(low), committed.get(partitionKey(topic, partition))?.offset ?? 0),
      )
    }
    report.topics[topic] = lag
    report.total += lag
  }
  return report
}

/** In follow mode, a broker that is down at start is waited for (with backoff); in cron mode it is an error. */
async function retryInFollow<T>(
  fn: () => Promise<T>,
  options: {follow: boolean; signal: AbortSignal; log: Logger; what: string},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!options.follow || options.signal.aborted || (error instanceof FaError && error.exitCode !== 5)) throw error
      const wait = Math.min(30_000, 1_000 * 2 ** attempt)
      options.log.warn(`${options.what} failed; retrying`, {error, inMs: wait})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait)
        options.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), {once: true})
      })
      if (options.signal.aborted) throw error
    }
  }
}
