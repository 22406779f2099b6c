import {randomUUID} from 'node:crypto'

import type {Admin, Consumer, Kafka} from 'kafkajs'

import {FaError} from '../errors.js'
import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {committedOffsets, type DrainTracker} from '../kafka/drain.js'
import {TopicFollower} from '../kafka/follow.js'
import {modeDefaults} from '../kafka/tuning.js'
import type {GroupRun} from '../kafka/group-run.js'
import {chooseStart, startFromOf} from '../kafka/start-from.js'
import {requireTopics} from '../kafka/topics.js'
import {readGroupLag} from '../kafka/group-lag.js'
import {noMetrics} from '../metrics/room.js'
import {silentLogger} from '../output/log.js'
import {progressEveryMs, steadyLog} from '../output/steady.js'
import {decoderFromConfig} from '../schema/decoder.js'
import {ownOutputEncoder} from '../schema/own-outputs.js'
import {sendGroupRun} from './consume.js'
import {DryRunCommitter} from './dry-run.js'
import {Intake} from './intake.js'
import {encodeMeta} from './partitions.js'
import {buildPair, type Pair} from './pair.js'
import {responseReader, ResponseTable} from './responses.js'
import {emptyCounts, type SendSummary} from './summary.js'
import {defaultSendTuning, type SendTuning} from './tuning.js'
import {retryInFollow} from '../retry-in-follow.js'
import {parseDuration} from '../when.js'
import type {SendOptions, SendResult} from './options.js'

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
 * - The consume loop is enrich's too (kafka/group-run.ts; wired up in consume.ts): drained, signalled or
 *   failed, then closed. The deliverer/committer pair (Slack and the group, or --dry-run's) is built in pair.ts.
 */
export async function runSend(options: SendOptions): Promise<SendResult> {
  const started = Date.now()
  const {config} = options
  const log = options.log ?? silentLogger
  const metrics = options.metrics ?? noMetrics
  const follow = Boolean(options.follow)
  const tuning: SendTuning = {...defaultSendTuning, ...modeDefaults(follow), ...options.tuning}
  const group = options.group ?? config.slack.group
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
  let stoppedBy: SendSummary['stoppedBy'] = 'end'
  let responsesInfo = {read: 0, delivered: 0, ms: 0}

  const decoder = decoderFromConfig(config, (role) => config.topics[role] ?? role, log, options.env)
  // Before anything is produced: a registry that refuses fa's schema for the responses stops the run
  // here; one that is down is waited for when following (a daemon must not exit into a restart loop).
  const responses = dryRun ? [] : [{role: 'slackResponses', topic: topics.responses}]
  const encoder = await retryInFollow(() => ownOutputEncoder(config, responses, options.env), {
    follow,
    signal,
    log,
    what: 'looking up the slack-responses schema',
  })
  const kafka: Kafka = await createKafka(config, {log, clientIdSuffix: 'send', env: options.env})
  let admin: Admin | undefined
  let pair: Pair | undefined
  let follower: TopicFollower | undefined
  let intake: Intake | undefined
  let run: GroupRun | undefined
  let stopProgress: (() => void) | undefined
  let stopped = false

  log.info('send starting', {group, follow, dryRun, channel: options.channel, topic: topics.messages, instance})
  try {
    try {
      admin = await connectAdmin(kafka, config, signal)
    } catch (error) {
      // A signal while connecting: stop now, there is nothing to finish.
      if (!signal.aborted) throw error
      stoppedBy = 'signal'
      return await finish()
    }
    const activeAdmin = admin
    const context = {kafka, admin: activeAdmin, config, group, topics, tuning, follow, signal, log, metrics}
    // The follower is made once the group's topics are checked; an update's lookup comes later still.
    const responsesRead = (since: number) => follower?.reach(since) ?? Promise.resolve(false)
    pair = buildPair(context, options, {instance, table, counts, stop: stop.signal, encoder, fail, responsesRead})
    const {deliverer, committer, ledger} = pair
    await requireTopics(activeAdmin, config, [...new Set([topics.messages, topics.responses, ...committer.writes])])
    const starts = await chooseStart({
      kafka,
      admin: activeAdmin,
      group,
      topics: [topics.messages],
      from: options.from ?? startFromOf(undefined, config.slack.from, 'slack.from'),
      configKey: 'slack.from',
      commit: !dryRun,
      // Nothing was posted from a start: a closed commit leaves nothing in doubt (see partitions.ts).
      metadata: encodeMeta({state: 'closed', instance: 'from', at: Date.now()}),
      log,
    })
    if (committer instanceof DryRunCommitter) committer.starts = starts
    await committer.connect()

    follower = new TopicFollower({
      kafka,
      admin: activeAdmin,
      topics: [topics.responses],
      groupId: `${group}-responses-${randomUUID()}`,
      onMessages: responseReader(table, decoder, log, signal),
      log,
      consumer: {maxWaitTimeInMs: Math.min(500, tuning.maxWaitTimeInMs)},
    })
    try {
      const loaded = await follower.start(signal)
      responsesInfo = {read: loaded.records, delivered: table.size, ms: loaded.ms}
      log.info('responses loaded', {topic: topics.responses, ...responsesInfo})
      metrics.ready('responses', true)
      metrics.lag(group, async () => (await readGroupLag(activeAdmin, group, [topics.messages])).partitions)
    } catch (error) {
      if (signal.aborted) {
        stoppedBy = 'signal'
        return await finish()
      }
      throw error instanceof FaError ? error : kafkaError(error, config, `reading ${topics.responses}`)
    }

    const activeRun: GroupRun = sendGroupRun(context, committer, () => activeIntake)
    run = activeRun

    const drain: DrainTracker | undefined = await activeRun.fetchDrain()
    if (drain) {
      // A dry run of a new group commits nothing: its start (--from) counts as where it is.
      for (const start of starts) drain.advance(start.topic, start.partition, start.offset)
      if (drain.remaining === 0) {
        log.info('nothing to send: the group is at the end of every partition', {group})
        return await finish()
      }
      log.info('draining', {records: drain.total, partitions: drain.remaining})
      committer.watch(drain)
    }

    stopProgress = steadyLog(log, 'progress', progressEveryMs(follow, options.env), async () => {
      const lag = await readGroupLag(activeAdmin, group, [topics.messages]).catch(() => undefined)
      return {...counts, pending: ledger.size, lag: lag?.total}
    })
    const activeIntake: Intake = new Intake({
      topic: topics.messages,
      channel: options.channel,
      committed: () => committedOffsets(activeAdmin, group, [topics.messages]),
      table,
      counts,
      ledger,
      deliverer,
      committer,
      drain,
      maxAgeMs: options.maxAgeMs ?? parseDuration('slack.maxAlertAge', config.slack.maxAlertAge),
      log,
      stop: stop.signal,
      metrics,
      decoder,
    })
    intake = activeIntake
    // Told of an abort while stopping too (after the drain ended, say).
    if (signal.aborted) stoppedBy = 'signal'
    else signal.addEventListener('abort', () => (stoppedBy = 'signal'), {once: true})
    const end = await activeRun.consume()
    if (end.error) fail(end.error)
    return await finish()
  } finally {
    await shutdown()
  }

  function fail(error: Error): void {
    if (fatal) return
    fatal = error
    stoppedBy = 'error'
    run?.fail(error)
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
    stopProgress?.()
    const hadConsumer = run?.consumer !== undefined
    // The consumer leaves the group once every partition is closed: the last commits go through it.
    await run?.close(settle)
    if (!hadConsumer) await settle(undefined)
    await follower?.stop(3_000)
    await pair?.committer.disconnect()
    await disconnectQuietly(admin, 3_000)
    if (hadConsumer) log.info('send stopped', {...counts})
  }

  /** At a stop: nothing more is fetched, posts in flight finish (or the grace runs out), every partition is closed. */
  async function settle(consumer: Consumer | undefined): Promise<void> {
    try {
      consumer?.pause([{topic: topics.messages}])
    } catch {
      // not running
    }
    // Rate limit and backoff waits have ended.
    const graceEnds = Date.now() + tuning.stopGraceMs
    if (intake?.dispatch.busy) {
      await withTimeout(intake.dispatch.idle(), tuning.stopGraceMs)
      pair?.deliverer.abandon()
    }
    await pair?.committer.close(intake?.states.values() ?? [], graceEnds)
    pair?.deliverer.addStats(counts)
  }
}
