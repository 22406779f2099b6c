import {randomUUID} from 'node:crypto'

import type {Admin, Consumer, Kafka} from 'kafkajs'

import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {committedOffsets, type DrainTracker} from '../kafka/drain.js'
import {TopicFollower} from '../kafka/follow.js'
import {GroupRun} from '../kafka/group-run.js'
import {chooseStart, startFromOf} from '../kafka/start-from.js'
import {requireTopics} from '../kafka/topics.js'
import {OutputWriter} from '../kafka/writer.js'
import {readGroupLag} from '../kafka/group-lag.js'
import {noMetrics} from '../metrics/room.js'
import {silentLogger} from '../output/log.js'
import {progressEveryMs, steadyLog} from '../output/steady.js'
import {decoderFromConfig} from '../schema/decoder.js'
import {ownOutputEncoder} from '../schema/own-outputs.js'
import {GroupCommitter} from './commits.js'
import {DryRunCommitter, DryRunDeliverer} from './dry-run.js'
import {Intake} from './intake.js'
import {Ledger} from './ledger.js'
import {encodeMeta} from './partitions.js'
import {SlackPoster} from './post.js'
import {responseReader, ResponseTable} from './responses.js'
import type {RunCommitter, RunDeliverer} from './roles.js'
import {emptyCounts, type SendSummary} from './summary.js'
import {defaultSendTuning, type SendTuning} from './tuning.js'
import {retryInFollow} from '../retry-in-follow.js'
import {parseDuration} from '../when.js'
import type {SendOptions, SendResult} from './options.js'

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
 * - The consume loop is enrich's too (kafka/group-run.ts): drained, signalled or failed, then closed.
 */
export async function runSend(options: SendOptions): Promise<SendResult> {
  const started = Date.now()
  const {config} = options
  const log = options.log ?? silentLogger
  const metrics = options.metrics ?? noMetrics
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
    pair = build(activeAdmin)
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
      throw kafkaError(error, config, `reading ${topics.responses}`)
    }

    const activeRun: GroupRun = new GroupRun({
      kafka,
      admin: activeAdmin,
      config,
      group,
      // A dry run reads as the pair's throwaway group.
      consumerGroupId: committer.groupId,
      topics: [topics.messages],
      tuning,
      follow,
      signal,
      log,
      // Partitions another member of the group finished count as done too (not a throwaway group's).
      pollCommitted: committer.groupId === group,
      autoCommit: false,
      onCrash: 'fail',
      disconnectTimeoutMs: 5_000,
      eachBatch: (payload) => activeIntake.batch(payload),
      onJoin: (payload, c) => {
        const assigned = new Set(payload.memberAssignment[topics.messages] ?? [])
        log.info('joined the group', {group, partitions: [...assigned].join(',') || '(none)'})
        metrics.ready('consumer', true)
        activeIntake.assigned(assigned)
        // Commits go through the group's member (its only consumer: a crash ends the run).
        committer.attach(c)
        committer
          .startOffsets(assigned)
          .then((offsets) => {
            for (const {partition, offset} of offsets)
              c.seek({topic: topics.messages, partition, offset: String(offset)})
          })
          .catch((error) => log.warn('cannot read the group offsets', {error}))
      },
      onConsumerFailed: () => metrics.ready('consumer', false),
      onEmptyBatch: (b) => activeIntake.markers(b.topic, b.partition, b.firstOffset, b.lastOffset),
    })
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
      table,
      counts,
      requestTimeoutMs: config.slack.timeoutMs,
      log,
      stop: stop.signal,
      explain: (error, doing) => kafkaError(error, config, doing),
      metrics,
      encoder,
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
      metrics,
    })
    return {committer, ledger, deliverer}
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
