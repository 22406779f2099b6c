import {randomUUID} from 'node:crypto'

import type {Admin, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {committedOffsets, DrainTracker} from '../kafka/drain.js'
import {TopicFollower} from '../kafka/follow.js'
import {requireTopics} from '../kafka/topics.js'
import {OutputWriter} from '../kafka/writer.js'
import {silentLogger, type Logger} from '../output/log.js'
import {GroupCommitter} from './commits.js'
import {SendConsumer, untilStopped} from './consumer.js'
import {DryRunCommitter, DryRunDeliverer, type RenderDryRun} from './dry-run.js'
import {Intake} from './intake.js'
import {Ledger} from './ledger.js'
import {SlackPoster, type DelivererLike} from './post.js'
import {ResponseTable} from './responses.js'
import type {RunCommitter, RunDeliverer} from './roles.js'
import {emptyCounts, type SendSummary} from './summary.js'
import {defaultSendTuning, type SendTuning} from './tuning.js'

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
  onDryRun?: RenderDryRun
}

export interface SendResult extends SendSummary {
  /** The error that ended the run (auth revoked mid-run, ...), after everything was recorded and committed. */
  error?: Error
}

/** The parts a run is built with: to Slack and the group, or --dry-run's. */
interface Pair {
  deliverer: RunDeliverer
  committer: RunCommitter
  ledger: Ledger
}

/**
 * `fa send`: consumes slack-messages in a consumer group and delivers each alert once.
 *
 * - slack-responses is read as a table first (to its end offsets) and followed afterwards: an
 *   alert with a successful response is skipped, whichever process recorded it.
 * - Messages are taken on in batches (intake.ts) and dispatched per channel (dispatch.ts): each
 *   channel is a FIFO with one delivery in flight (the Deliverer adds per-channel rate limits and
 *   a workspace cap), so channels proceed in parallel and a slow one holds up only itself.
 * - Every outcome is recorded on slack-responses (failures and invalid payloads also on the
 *   dead-letter topic) and an offset is committed only once everything before it is recorded (commits.ts).
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
  const table = new ResponseTable(config.slack.retention)
  /** Aborted when the run stops: nothing more is taken on, waits (rate limits, backoffs) end. */
  const stop = new AbortController()
  let fatal: Error | undefined
  let onFatal: () => void = () => {}
  const fatalPromise = new Promise<void>((resolve) => (onFatal = resolve))
  let stoppedBy: SendSummary['stoppedBy'] = 'end'
  let responsesInfo = {read: 0, delivered: 0, ms: 0}

  const kafka: Kafka = await createKafka(config, {log, clientIdSuffix: 'send', env: options.env})
  let admin: Admin | undefined
  let pair: Pair | undefined
  let follower: TopicFollower | undefined
  let intake: Intake | undefined
  let consumer: SendConsumer | undefined
  let progressTimer: NodeJS.Timeout | undefined
  let stopped = false

  log.info('send starting', {group, follow, dryRun, channel: options.channel, topic: topics.messages, instance})
  try {
    admin = await connectAdmin(kafka, config)
    const activeAdmin = admin
    pair = build(activeAdmin)
    const {deliverer, committer, ledger} = pair
    await requireTopics(activeAdmin, config, [...new Set([topics.messages, topics.responses, ...committer.writes])])
    await committer.connect()

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

    let drain: DrainTracker | undefined
    if (!follow) {
      drain = await DrainTracker.fetch(activeAdmin, group, [topics.messages]).catch((error) => {
        throw kafkaError(error, config, 'reading offsets')
      })
      if (drain.remaining === 0) {
        log.info('nothing to send: the group is at the end of every partition', {group})
        return await finish()
      }
      log.info('draining', {records: drain.total, partitions: drain.remaining})
      committer.watch(drain)
    }

    progressTimer = setInterval(() => log.info('progress', {...counts, pending: ledger.size}), follow ? 60_000 : 10_000)
    progressTimer.unref()
    intake = new Intake({
      topic: topics.messages,
      channel: options.channel,
      committed: () => committedOffsets(activeAdmin, group, [topics.messages]),
      table,
      counts,
      ledger,
      deliverer,
      committer,
      drain,
      log,
      stop: stop.signal,
    })
    const starting = new SendConsumer({
      kafka,
      config,
      log,
      group,
      topic: topics.messages,
      tuning,
      intake,
      committer,
      stop: stop.signal,
      fail,
    })
    committer.attach(starting)
    await starting.start()
    consumer = starting
    await untilStopped(signal, () => (stoppedBy = 'signal'), [drain?.done, fatalPromise])
    return await finish()
  } finally {
    await shutdown()
  }

  /** The one place a dry run differs: which deliverer/committer pair the run is built with. */
  function build(activeAdmin: Admin): Pair {
    const ledgerFor = (committer: RunCommitter) =>
      new Ledger(counts, tuning.maxPending, stop.signal, (state) => committer.progress(state))
    if (!options.createDeliverer) {
      // Reads as a throwaway group from the real group's committed offsets; never commits.
      const committer = new DryRunCommitter(group, topics.messages, activeAdmin)
      const ledger = ledgerFor(committer)
      return {committer, ledger, deliverer: new DryRunDeliverer(options.onDryRun, ledger, counts)}
    }
    const committer = new GroupCommitter({
      group,
      instance,
      topics,
      writer: new OutputWriter({kafka, groupId: group, log}),
      admin: activeAdmin,
      table,
      counts,
      requestTimeoutMs: config.slack.timeoutMs,
      log,
      stop: stop.signal,
      explain: (error, doing) => kafkaError(error, config, doing),
    })
    const ledger = ledgerFor(committer)
    const deliverer = new SlackPoster({
      deliverer: options.createDeliverer(stop.signal),
      committer,
      ledger,
      table,
      counts,
      pace: {perSecond: config.slack.perChannelPerSecond, burst: config.slack.perChannelBurst},
      log,
      stop: stop.signal,
      fail,
    })
    return {committer, ledger, deliverer}
  }

  function fail(error: Error): void {
    if (fatal) return
    fatal = error
    stoppedBy = 'error'
    onFatal()
  }

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
    if (stopped) return
    stopped = true
    stop.abort(new Error('stopping'))
    clearInterval(progressTimer)
    consumer?.pause()
    // Rate limit and backoff waits have ended; posts in flight finish (or the grace runs out).
    const graceEnds = Date.now() + tuning.stopGraceMs
    if (intake?.dispatch.busy) {
      await withTimeout(intake.dispatch.idle(), tuning.stopGraceMs)
      pair?.deliverer.abandon()
    }
    await pair?.committer.close(intake?.states.values() ?? [], graceEnds)
    pair?.deliverer.addStats(counts)
    await consumer?.disconnect()
    await follower?.stop(3_000)
    await pair?.committer.disconnect()
    await disconnectQuietly(admin, 3_000)
    if (consumer) log.info('send stopped', {...counts})
  }
}
