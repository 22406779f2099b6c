import {randomUUID} from 'node:crypto'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from '../kafka/client.js'
import {fromKafka, toKafka} from '../kafka/codec.js'
import {kafkaError} from '../kafka/connection.js'
import {committedOffsets, DrainTracker, partitionKey} from '../kafka/drain.js'
import {TopicFollower} from '../kafka/follow.js'
import {defaultTuning, tuningFromEnv} from '../kafka/tuning.js'
import {requireTopics} from '../kafka/topics.js'
import {messageBytes, OutputWriter} from '../kafka/writer.js'
import {silentLogger, type Logger} from '../output/log.js'
import {deadLetterOf} from '../records/dead-letter.js'
import {Header} from '../records/headers.js'
import {decodeJsonObject, type TopicRecord} from '../records/record.js'
import type {SlackMessage} from '../slack/blocks.js'
import type {DeliverOptions, DeliveryOutcome} from '../slack/deliver.js'
import {validateSlackMessage} from '../slack/validate.js'
import {ChannelPacer} from './pacer.js'
import {encodeMeta, inheritedDoubt, PartitionState, type Entry} from './partitions.js'
import {ResponseTable, responseMessage} from './responses.js'
import {emptyCounts, type SendSummary} from './summary.js'

/** What `runSend` needs of a Deliverer (src/lib/slack/deliver.ts), so that --dry-run never loads the Slack client. */
export interface DelivererLike {
  deliver(message: SlackMessage, options?: DeliverOptions): Promise<DeliveryOutcome>
  readonly stats: {rateLimited: number; retried: number; foundInHistory: number}
}

/** Consumer timings (as `fa enrich`'s: FA_KAFKA_SESSION_TIMEOUT_MS, ...) and send's own. */
export interface SendTuning {
  sessionTimeout: number
  heartbeatInterval: number
  rebalanceTimeout: number
  maxWaitTimeInMs: number
  maxBytesPerPartition: number
  /** Messages taken on and not yet recorded, across partitions, before fetching waits. */
  maxPending: number
  /** How long a stop waits for posts in flight before leaving them in doubt. */
  stopGraceMs: number
}

export const defaultSendTuning: SendTuning = {
  sessionTimeout: defaultTuning.sessionTimeout,
  heartbeatInterval: defaultTuning.heartbeatInterval,
  rebalanceTimeout: defaultTuning.rebalanceTimeout,
  maxWaitTimeInMs: defaultTuning.maxWaitTimeInMs,
  maxBytesPerPartition: defaultTuning.maxBytesPerPartition,
  maxPending: 5_000,
  stopGraceMs: 5_000,
}

/** FA_KAFKA_* as for `fa enrich`, plus FA_SEND_MAX_PENDING and FA_SEND_STOP_GRACE_MS. */
export function sendTuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SendTuning> {
  const {sessionTimeout, heartbeatInterval, rebalanceTimeout, maxWaitTimeInMs, maxBytesPerPartition} =
    tuningFromEnv(env)
  const out: Partial<SendTuning> = {
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout,
    maxWaitTimeInMs,
    maxBytesPerPartition,
  }
  for (const [name, variable] of [
    ['maxPending', 'FA_SEND_MAX_PENDING'],
    ['stopGraceMs', 'FA_SEND_STOP_GRACE_MS'],
  ] as const) {
    const value = Number(env[variable])
    if (env[variable] && Number.isInteger(value) && value > 0) out[name] = value
  }
  for (const key of Object.keys(out) as Array<keyof SendTuning>) if (out[key] === undefined) delete out[key]
  return out
}

/** What --dry-run shows for each message. */
export type DryRunItem =
  | {
      action: 'post'
      alertId: string
      pipeline: string
      channel: string
      message: SlackMessage
      source: TopicRecord
      inDoubt: boolean
    }
  | {action: 'skip'; alertId: string; pipeline: string; channel: string; source: TopicRecord}
  | {action: 'dead-letter'; alertId: string | null; pipeline: string; reason: string; source: TopicRecord}

export interface SendOptions {
  config: Config
  /** Consumer group (default: slack.group in the config). */
  group?: string
  /** Run until `signal` aborts; otherwise stop at the end offsets seen at start. */
  follow?: boolean
  /** Post everything to this channel instead of each message's own. */
  channel?: string
  signal?: AbortSignal
  log?: Logger
  tuning?: Partial<SendTuning>
  env?: NodeJS.ProcessEnv
  /**
   * Makes the Deliverer; `stop` aborts it (waits end at once, posts in flight finish). Absent
   * for a dry run, which renders through `onDryRun` instead and commits nothing.
   */
  createDeliverer?: (stop: AbortSignal) => DelivererLike
  onDryRun?: (item: DryRunItem) => void | Promise<void>
}

export interface SendResult extends SendSummary {
  /** The error that ended the run (auth revoked mid-run, ...), after everything was recorded and committed. */
  error?: Error
}

interface Job {
  state: PartitionState
  entry: Entry
  record: TopicRecord
  message: SlackMessage
  alertId: string
  pipeline: string
  inDoubt: boolean
}

// Kafka and Slack clocks differ; a lookup for an in-doubt alert starts this long before its record's time.
const CLOCK_SKEW_MS = 5 * 60_000
const COMMIT_DEBOUNCE_MS = 100
/** Offsets announced (write-ahead, in the commit metadata) at a time before they are taken on: a crash leaves at most this many in doubt per partition, plus the batch. */
const ANNOUNCE_CHUNK = 500

/**
 * `fa send`: consumes slack-messages in a consumer group and delivers each alert once.
 *
 * - slack-responses is read as a table first (to its end offsets) and followed afterwards: an
 *   alert with a successful response is skipped, whichever process recorded it.
 * - Messages are taken on in batches and dispatched per channel: each channel is a FIFO with
 *   one delivery in flight (the Deliverer adds per-channel rate limits and a workspace cap), so
 *   channels proceed in parallel and a slow one holds up only itself.
 * - Every outcome is recorded on slack-responses (failures and invalid payloads also on the
 *   dead-letter topic) and an offset is committed only once everything before it is recorded.
 * - Crash safety: see partitions.ts for which alerts are looked up in channel history first.
 */
export async function runSend(options: SendOptions): Promise<SendResult> {
  const started = Date.now()
  const {config} = options
  const log = options.log ?? silentLogger
  const tuning: SendTuning = {...defaultSendTuning, ...options.tuning}
  const group = options.group ?? config.slack.group
  const follow = Boolean(options.follow)
  const dryRun = !options.createDeliverer
  const signal = options.signal ?? new AbortController().signal
  const topics = {
    messages: config.topics.slackMessages,
    responses: config.topics.slackResponses,
    deadLetters: config.topics.deadLetters,
  }
  const instance = randomUUID().slice(0, 8)
  const counts = emptyCounts()
  const table = new ResponseTable()
  const states = new Map<string, PartitionState>()
  const channels = new Map<string, Job[]>()
  const inflightByAlert = new Map<string, Promise<void>>()
  /** Jobs inside deliverer.deliver (at most one per channel). */
  const delivering = new Set<Job>()
  const deliverStop = new AbortController()
  const deliverer = options.createDeliverer?.(deliverStop.signal)
  const pacer = new ChannelPacer(config.slack.perChannelPerSecond, config.slack.perChannelBurst)
  let pending = 0
  let capacityWaiters: Array<() => void> = []
  let activePumps = 0
  const idleWaiters: Array<() => void> = []
  let stopping = false
  let fatal: Error | undefined
  let onFatal: (error: Error) => void = () => {}
  const fatalPromise = new Promise<void>((resolve) => (onFatal = () => resolve()))
  let stoppedBy: SendSummary['stoppedBy'] = 'end'
  let responsesInfo = {read: 0, delivered: 0, ms: 0}

  const kafka: Kafka = await createKafka(config, {log, clientIdSuffix: 'send', env: options.env})
  let admin: Admin | undefined
  let consumer: Consumer | undefined
  let follower: TopicFollower | undefined
  let writer: OutputWriter | undefined
  /** Outcomes being recorded (awaited at a stop). */
  const recording = new Set<Promise<void>>()
  let drain: DrainTracker | undefined
  let stopPolling: (() => void) | undefined
  let progressTimer: NodeJS.Timeout | undefined

  log.info('send starting', {group, follow, dryRun, channel: options.channel, topic: topics.messages, instance})
  try {
    admin = await connectAdmin(kafka, config)
    const activeAdmin = admin
    const needed = dryRun
      ? [topics.messages, topics.responses]
      : [topics.messages, topics.responses, topics.deadLetters]
    await requireTopics(activeAdmin, config, needed)

    if (!dryRun) {
      writer = new OutputWriter({kafka, groupId: group, log})
      await writer.connect().catch((error) => {
        throw kafkaError(error, config, 'connecting the producer')
      })
    }

    follower = new TopicFollower({
      kafka,
      admin: activeAdmin,
      topics: [topics.responses],
      groupId: `${group}-responses-${randomUUID()}`,
      onMessages: (_topic, _partition, messages) => {
        for (const message of messages) table.apply(message)
      },
      log,
      consumer: {maxWaitTimeInMs: Math.min(500, tuning.maxWaitTimeInMs)},
    })
    try {
      const loaded = await follower.start(signal)
      responsesInfo = {read: loaded.records, delivered: table.size, ms: loaded.ms}
      log.info('responses loaded', {topic: topics.responses, ...responsesInfo})
    } catch (error) {
      if (signal.aborted) {
        stoppedBy = 'signal'
        return await finish()
      }
      throw kafkaError(error, config, `reading ${topics.responses}`)
    }

    if (!follow) {
      drain = await DrainTracker.fetch(activeAdmin, group, [topics.messages]).catch((error) => {
        throw kafkaError(error, config, 'reading offsets')
      })
      if (drain.remaining === 0) {
        log.info('nothing to send: the group is at the end of every partition', {group})
        return await finish()
      }
      log.info('draining', {records: drain.total, partitions: drain.remaining})
      if (!dryRun)
        stopPolling = drain.pollCommitted(activeAdmin, group, 2_000, (error) =>
          log.debug('cannot read committed offsets', {error}),
        )
    }

    progressTimer = setInterval(() => log.info('progress', {...counts, pending}), follow ? 60_000 : 10_000)
    progressTimer.unref()
    consumer = await startConsumer()
    await new Promise<void>((resolve) => {
      if (signal.aborted) {
        stoppedBy = 'signal'
        return resolve()
      }
      signal.addEventListener('abort', () => ((stoppedBy = 'signal'), resolve()), {once: true})
      drain?.done.then(() => resolve())
      fatalPromise.then(() => resolve())
    })
    return await finish()
  } finally {
    await shutdown()
  }

  // ---- consuming -------------------------------------------------------------------------

  async function startConsumer(): Promise<Consumer> {
    const c = kafka.consumer({
      // A dry run reads from the group's committed offsets with a throwaway group: it commits nothing.
      groupId: dryRun ? `${group}-dry-run-${randomUUID()}` : group,
      sessionTimeout: tuning.sessionTimeout,
      heartbeatInterval: tuning.heartbeatInterval,
      rebalanceTimeout: tuning.rebalanceTimeout,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      maxBytesPerPartition: tuning.maxBytesPerPartition,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      retry: {retries: 10, initialRetryTime: 300, maxRetryTime: 30_000, restartOnFailure: async () => !stopping},
    })
    c.on(c.events.GROUP_JOIN, ({payload}) => {
      const assigned = new Set(payload.memberAssignment[topics.messages] ?? [])
      log.info('joined the group', {group, partitions: [...assigned].join(',') || '(none)'})
      for (const state of states.values()) {
        if (!assigned.has(state.partition)) detach(state)
        else state.needsCheck = true
      }
      if (dryRun && admin) {
        // Start where the real group is.
        const a = admin
        committedOffsets(a, group, [topics.messages])
          .then((committed) => {
            for (const partition of assigned) {
              const offset = committed.get(partitionKey(topics.messages, partition))?.offset ?? -1
              if (offset >= 0) c.seek({topic: topics.messages, partition, offset: String(offset)})
            }
          })
          .catch((error) => log.warn('cannot read the group offsets', {error}))
      }
    })
    c.on(c.events.END_BATCH_PROCESS, ({payload}) => {
      // Batches of only transaction markers never reach eachBatch but still move the position.
      if (payload.batchSize !== 0 || stopping) return
      const next = Number(payload.lastOffset) + 1
      const state = states.get(partitionKey(payload.topic, payload.partition))
      if (state && !state.detached) {
        if (payload.firstOffset === null || Number(payload.firstOffset) <= state.seen) {
          state.seen = Math.max(state.seen, Math.min(next, targetOf(payload.partition)))
          scheduleCommit(state)
        }
      } else if (drain) {
        // Nothing taken on from it yet, so everything before `next` is markers: done up to there.
        drain.advance(payload.topic, payload.partition, next)
      }
    })
    c.on(c.events.CRASH, ({payload}) => {
      if (stopping) return
      log.warn('consumer failed', {error: payload.error, restart: payload.restart})
      if (!payload.restart) fail(kafkaError(payload.error, config, 'consuming'))
    })
    try {
      await c.connect()
      await c.subscribe({topics: [topics.messages], fromBeginning: true})
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => eachBatch(c, payload),
      })
    } catch (error) {
      await disconnectQuietly(c, 3_000)
      throw kafkaError(error, config, 'starting the consumer')
    }
    return c
  }

  function targetOf(partition: number): number {
    if (!drain) return Infinity
    return drain.targetOf(topics.messages, partition) ?? 0
  }

  async function eachBatch(c: Consumer, {batch, heartbeat, pause, isStale}: EachBatchPayload): Promise<void> {
    if (stopping || isStale()) return
    const {topic, partition} = batch
    const state = await stateFor(c, topic, partition, Number(batch.highWatermark), batch.messages[0])
    if (!state || stopping) return
    const target = targetOf(partition)
    let complete = true
    for (const message of batch.messages) {
      const offset = Number(message.offset)
      if (offset < state.seen) continue // read again after a rebalance: already taken on
      if (offset >= target) break
      if (pending >= tuning.maxPending) await waitForCapacity(heartbeat)
      if (stopping || state.detached) {
        complete = false
        break
      }
      if (!dryRun && offset >= state.announced) {
        // Write-ahead: the committed metadata says how far this process may post before it takes
        // anything on, so a crash leaves only that far in doubt (see partitions.ts).
        const until = Math.min(Number(batch.lastOffset()) + 1, target, offset + ANNOUNCE_CHUNK)
        if (!(await commit(c, state, 'open', until)))
          throw new Error(`cannot announce offsets of partition ${partition} before posting them`)
        if (stopping || state.detached) {
          complete = false
          break
        }
      }
      take(state, topic, partition, message)
    }
    if (complete && !stopping && !state.detached)
      state.seen = Math.max(state.seen, Math.min(Number(batch.lastOffset()) + 1, target))
    if (state.seen >= target) pause()
    scheduleCommit(state)
  }

  /**
   * The partition's state, creating it when this process takes the partition over (first batch
   * after an assignment): reads the committed offset and its metadata (in-doubt range, see
   * partitions.ts). Nothing is posted before `eachBatch` has announced it in an `open` commit.
   */
  async function stateFor(
    c: Consumer,
    topic: string,
    partition: number,
    highWatermark: number,
    first: KafkaMessage | undefined,
  ): Promise<PartitionState | undefined> {
    const k = partitionKey(topic, partition)
    const existing = states.get(k)
    if (existing && !existing.detached && !existing.needsCheck) return existing
    const committed = (await committedOffsets(admin!, group, [topic])).get(k) ?? {offset: -1, metadata: null}
    if (dryRun) {
      if (existing && !existing.detached) return existing
      // From the real group's committed offset (what a real run would send next); never commits.
      const start = committed.offset >= 0 ? committed.offset : Number(first?.offset ?? 0)
      const state = new PartitionState(topic, partition, start, {from: 0, until: 0, lookupNotBefore: 0})
      states.set(k, state)
      return state
    }
    if (existing && !existing.detached) {
      // Still ours if the last commit is ours: nobody else can have posted from it since (they announce first).
      if (committed.metadata?.includes(` instance=${instance} `)) {
        existing.needsCheck = false
        return existing
      }
      log.warn('partition was taken over by another member in between; starting from its committed offset', {
        partition,
        committed: committed.offset,
      })
      detach(existing)
    }
    const doubt = inheritedDoubt(committed, highWatermark, Date.now(), config.slack.timeoutMs)
    const start = committed.offset >= 0 ? committed.offset : Number(first?.offset ?? 0)
    const state = new PartitionState(topic, partition, start, doubt)
    if (doubt.until > doubt.from)
      log.info('taking over a partition with alerts in doubt: they are looked up in Slack before posting', {
        partition,
        from: doubt.from,
        until: doubt.until,
      })
    states.set(k, state)
    return state
  }

  function detach(state: PartitionState): void {
    if (state.detached) return
    state.detached = true
    clearTimeout(state.commitTimer)
    states.delete(partitionKey(state.topic, state.partition))
  }

  async function waitForCapacity(heartbeat: () => Promise<void>): Promise<void> {
    while (pending >= tuning.maxPending && !stopping) {
      await Promise.race([new Promise<void>((resolve) => capacityWaiters.push(resolve)), sleep(1_000)])
      await heartbeat()
    }
  }

  function released(): void {
    pending--
    if (pending < tuning.maxPending && capacityWaiters.length > 0) {
      const waiters = capacityWaiters
      capacityWaiters = []
      for (const w of waiters) w()
    }
  }

  /** Takes one message on: validate, then dead-letter it or queue it on its channel. */
  function take(state: PartitionState, topic: string, partition: number, message: KafkaMessage): void {
    counts.read++
    pending++
    const entry = state.track(Number(message.offset))
    const record = fromKafka(topic, partition, message)
    const pipeline = record.headers[Header.pipeline] ?? 'send'
    const decoded = decodeJsonObject(record.value)
    const checked = decoded.ok ? validateSlackMessage(decoded.value) : decoded
    if (!checked.ok) {
      counts.invalid++
      const payload = decoded.ok ? decoded.value : {}
      const alertId = typeof payload.alertId === 'string' && payload.alertId ? payload.alertId : (record.key ?? null)
      const channel = typeof payload.channel === 'string' ? payload.channel : ''
      const reason = `invalid Slack message: ${checked.reason}`
      if (dryRun) {
        void render({action: 'dead-letter', alertId, pipeline, reason, source: record}).then(() =>
          finishEntry(state, entry),
        )
        return
      }
      const outcome: DeliveryOutcome | undefined = alertId
        ? {
            alertId,
            ok: false,
            channel: options.channel ?? channel,
            ts: null,
            error: reason,
            attempts: 0,
            firstAttemptAt: null,
            deliveredAt: null,
          }
        : undefined
      track(recordOutcome(state, entry, record, outcome, reason))
      return
    }
    const slackMessage = checked.message
    const job: Job = {
      state,
      entry,
      record,
      message: slackMessage,
      alertId: slackMessage.alertId,
      pipeline,
      inDoubt: state.isInDoubt(entry.offset),
    }
    const channel = options.channel ?? slackMessage.channel
    const queue = channels.get(channel)
    if (queue) {
      queue.push(job)
      return
    }
    channels.set(channel, [job])
    activePumps++
    void pump(channel).finally(() => {
      activePumps--
      if (activePumps === 0) for (const w of idleWaiters.splice(0)) w()
    })
  }

  /** One channel's queue, one delivery at a time (the Deliverer keeps each channel's rate). */
  async function pump(channel: string): Promise<void> {
    const queue = channels.get(channel)!
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (stopping || job.state.detached) {
          unfinished(job, false)
          continue
        }
        await handle(job, channel)
      }
    } finally {
      channels.delete(channel)
    }
  }

  async function handle(job: Job, channel: string): Promise<void> {
    const {alertId} = job
    // The same alert queued on another channel (a payload that changed its recipient): one at a time.
    const earlier = inflightByAlert.get(alertId)
    if (earlier) await earlier
    if (table.isDelivered(alertId)) {
      counts.skipped++
      if (dryRun) await render({action: 'skip', alertId, pipeline: job.pipeline, channel, source: job.record})
      finishEntry(job.state, job.entry)
      return
    }
    if (dryRun) {
      counts.wouldPost++
      await render({
        action: 'post',
        alertId,
        pipeline: job.pipeline,
        channel,
        message: {...job.message, channel},
        source: job.record,
        inDoubt: job.inDoubt,
      })
      finishEntry(job.state, job.entry)
      return
    }
    let done: () => void = () => {}
    inflightByAlert.set(alertId, new Promise<void>((resolve) => (done = resolve)))
    try {
      await deliverOne(job, channel)
    } finally {
      inflightByAlert.delete(alertId)
      done()
    }
  }

  async function deliverOne(job: Job, channel: string): Promise<void> {
    const {state, alertId} = job
    if (job.inDoubt) {
      // Let a request the previous owner still had in flight land (or fail) before looking it up.
      const wait = state.doubt.lookupNotBefore - Date.now()
      if (wait > 0) await sleep(wait, undefined, {signal: deliverStop.signal}).catch(() => undefined)
      if (stopping) return unfinished(job, false)
      counts.inDoubt++
    }
    // Within the channel's rate as Slack counts it (see pacer.ts); the Deliverer then takes its own tokens.
    await pacer.ready(channel, deliverStop.signal).catch(() => undefined)
    if (stopping) return unfinished(job, false)
    const since = job.record.timestamp ? new Date(Date.parse(job.record.timestamp) - CLOCK_SKEW_MS) : undefined
    let outcome: DeliveryOutcome
    delivering.add(job)
    try {
      outcome = await deliverer!.deliver(job.message, job.inDoubt ? {inDoubt: true, since} : {})
    } catch (error) {
      if (!delivering.delete(job)) return // given up on at the end of the stop grace period
      if ((error as Error).name === 'DeliveryAbortedError')
        return unfinished(job, Boolean((error as {inDoubt?: boolean}).inDoubt))
      // An auth error (token revoked mid-run) or a bug: stop the run; this one may have been posted.
      unfinished(job, true)
      fail(error instanceof Error ? error : new Error(String(error)))
      return
    }
    // Given up on at the end of the stop grace period: already counted as unfinished (in doubt).
    if (!delivering.delete(job)) return
    pacer.charge(channel, outcome.attempts > 0 ? 1 : 0)
    if (outcome.ok) {
      // Before it is recorded: nothing in this process may post it again.
      table.markDelivered(alertId)
      counts.delivered++
    } else {
      counts.failed++
    }
    track(recordOutcome(state, job.entry, job.record, outcome, outcome.ok ? undefined : `Slack: ${outcome.error}`))
  }

  /** Records the response (and the dead letter of a failure), retrying until acknowledged; then the offset can be committed. */
  async function recordOutcome(
    state: PartitionState,
    entry: Entry,
    record: TopicRecord,
    outcome: DeliveryOutcome | undefined,
    deadLetterReason: string | undefined,
  ): Promise<void> {
    const messages = new Map<string, Message[]>()
    // A failure never overwrites a success in the compacted table.
    if (outcome && (outcome.ok || !table.isDelivered(outcome.alertId)))
      messages.set(topics.responses, [responseMessage(outcome)])
    if (deadLetterReason !== undefined) messages.set(topics.deadLetters, [deadLetter(record, deadLetterReason)])
    const bytes = [...messages.values()].flat().reduce((n, m) => n + messageBytes(m), 0)
    for (let attempt = 0; ; attempt++) {
      try {
        // Merged with the other outcomes of the moment into one produce request (acks=all).
        await writer!.submit(messages, bytes)
        break
      } catch (error) {
        if (stopping && attempt >= 2) {
          log.error('cannot record an outcome; leaving it for the next run', {alertId: outcome?.alertId, error})
          if (outcome?.ok) state.abandonedInDoubt = Math.max(state.abandonedInDoubt, entry.offset)
          counts.unfinished++
          released()
          return
        }
        await sleep(Math.min(5_000, 250 * 2 ** attempt))
      }
    }
    if (deadLetterReason !== undefined) counts.deadLettered++
    finishEntry(state, entry)
  }

  function track(promise: Promise<void>): void {
    recording.add(promise)
    void promise.finally(() => recording.delete(promise))
  }

  function deadLetter(record: TopicRecord, reason: string): Message {
    return toKafka(deadLetterOf(record, topics.deadLetters, record.headers[Header.pipeline] ?? 'send', reason))
  }

  function finishEntry(state: PartitionState, entry: Entry): void {
    entry.done = true
    released()
    scheduleCommit(state)
  }

  /** Left for the next run: not recorded, so its offset is never committed. */
  function unfinished(job: Job, mayBePosted: boolean): void {
    counts.unfinished++
    if (mayBePosted) job.state.abandonedInDoubt = Math.max(job.state.abandonedInDoubt, job.entry.offset)
    released()
  }

  async function render(item: DryRunItem): Promise<void> {
    await options.onDryRun?.(item)
  }

  function fail(error: Error): void {
    if (fatal) return
    fatal = error
    stoppedBy = 'error'
    onFatal(error)
  }

  // ---- committing ------------------------------------------------------------------------

  function scheduleCommit(state: PartitionState): void {
    if (dryRun) {
      drain?.advance(state.topic, state.partition, state.watermark())
      return
    }
    if (state.detached || state.commitTimer || stopping) return
    state.commitTimer = setTimeout(() => {
      state.commitTimer = undefined
      void commitProgress(state)
    }, COMMIT_DEBOUNCE_MS)
  }

  async function commitProgress(state: PartitionState): Promise<void> {
    if (!consumer || state.watermark() <= state.committed) return
    await commit(consumer, state, 'open')
  }

  /**
   * Commits the partition's watermark (everything before it recorded) with the metadata for
   * `how`, after the partition's earlier commits (they are chained, so the metadata only ever
   * moves forward). `announce` raises how far this process may post (`open`). False when the
   * commit failed: progress is committed again later, an announcement must not be relied on.
   */
  function commit(c: Consumer, state: PartitionState, how: 'open' | 'closed', announce?: number): Promise<boolean> {
    const run = state.commitChain.then(async () => {
      if (state.detached) return false
      const offset = state.watermark()
      const announced = Math.max(state.announced, announce ?? 0)
      const doubtUntil = how === 'open' ? Math.max(state.doubt.until, announced) : state.closingDoubtUntil(offset)
      const meta = encodeMeta({state: how, instance, at: Date.now(), doubtUntil})
      try {
        const ok = await withTimeout(
          c
            .commitOffsets([{topic: state.topic, partition: state.partition, offset: String(offset), metadata: meta}])
            .then(() => true),
          10_000,
        )
        if (!ok) throw new Error('timed out')
      } catch (error) {
        log.warn('commit failed', {partition: state.partition, offset, error})
        return false
      }
      state.committed = Math.max(state.committed, offset)
      state.announced = announced
      log.debug('committed', {partition: state.partition, offset, meta})
      drain?.advance(state.topic, state.partition, offset)
      return true
    })
    state.commitChain = run
    return run
  }

  // ---- stopping --------------------------------------------------------------------------

  async function finish(): Promise<SendResult> {
    await shutdown()
    const result: SendResult = {
      counts,
      group,
      follow,
      dryRun,
      channel: options.channel ?? null,
      stoppedBy,
      responses: responsesInfo,
      workspacePerMinute: config.slack.workspacePerMinute,
      ms: Date.now() - started,
    }
    if (fatal) result.error = fatal
    return result
  }

  async function shutdown(): Promise<void> {
    if (stopping && !consumer && !admin) return
    stopping = true
    clearInterval(progressTimer)
    stopPolling?.()
    const c = consumer
    consumer = undefined
    if (c) {
      try {
        c.pause([{topic: topics.messages}])
      } catch {
        // not running
      }
    }
    for (const w of capacityWaiters.splice(0)) w()
    // Waits for rate limits and backoffs end now; posts in flight finish (or the grace runs out).
    deliverStop.abort(new Error('stopping'))
    const graceEnds = Date.now() + tuning.stopGraceMs
    if (activePumps > 0) {
      await withTimeout(new Promise<void>((resolve) => idleWaiters.push(resolve)), tuning.stopGraceMs)
      if (delivering.size > 0)
        log.warn('posts still in flight at the end of the grace period: left in doubt for the next run', {
          alerts: delivering.size,
        })
      // Their posts may land after we exit: the closing metadata keeps them in doubt.
      for (const job of [...delivering]) {
        delivering.delete(job)
        unfinished(job, true)
      }
    }
    await withTimeout(Promise.all(recording), Math.max(1_000, graceEnds - Date.now()))
    if (c && !dryRun) {
      // Every partition this process opened is closed: a clean stop leaves nothing in doubt
      // unless a post was cut short (see partitions.ts).
      for (const state of [...states.values()]) {
        clearTimeout(state.commitTimer)
        await commit(c, state, 'closed')
      }
    }
    const counted = deliverer?.stats
    if (counted) {
      counts.rateLimited = counted.rateLimited
      counts.retries = counted.retried
      counts.foundInHistory = counted.foundInHistory
    }
    if (c && !(await disconnectQuietly(c, 5_000))) log.warn('consumer did not disconnect in time')
    const f = follower
    follower = undefined
    await f?.stop(3_000)
    const w = writer
    writer = undefined
    await w?.close(3_000)
    const a = admin
    admin = undefined
    await disconnectQuietly(a, 3_000)
    if (c) log.info('send stopped', {...counts})
  }
}
