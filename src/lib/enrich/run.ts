import type {Admin} from 'kafkajs'

import {FaError} from '../errors.js'
import {connectAdmin, createKafka, disconnectQuietly, withTimeout} from '../kafka/client.js'
import {commitMetadata} from '../kafka/commit-time.js'
import {kafkaError} from '../kafka/connection.js'
import {GroupRun} from '../kafka/group-run.js'
import {chooseStart, startFromOf} from '../kafka/start-from.js'
import {requireTopics} from '../kafka/topics.js'
import type {OutputWriter} from '../kafka/writer.js'
import type {CommitPipeline} from '../kafka/commit-pipeline.js'
import {progressEveryMs} from '../output/steady.js'
import {Summary} from '../pipeline/summary.js'
import {MemoryStateStore} from '../pipeline/state.js'
import {TableStore} from '../pipeline/table.js'
import {decoderFromConfig} from '../schema/decoder.js'
import {ownOutputEncoder} from '../schema/own-outputs.js'
import {BatchProcessor} from './batch.js'
import {enrichCommits, enrichWriter, tableLoader} from './parts.js'
import {readLag, type LagReport} from './lag.js'
import {observeLoaded} from './observe.js'
import {streamProgress} from './progress.js'
import {retryInFollow} from '../retry-in-follow.js'
import {drainRepartition, prepareRepartition, type Repartitioning} from './repartition-setup.js'
import {RecordRouter} from './router.js'
import {LocalPartitions} from './local-partitions.js'
import {restoreState} from './state-changelog.js'
import {StateKeeper} from './state-keeper.js'
import type {TableLoader} from './table-loader.js'
import type {EnrichOptions, EnrichResult} from './options.js'
import {runSettings} from './settings.js'

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
  const {log, metrics, tuning, group, guarantee, transactionalId, follow, signal} = runSettings(options)
  const sources = topology.sourceTopics
  const summary = new Summary()
  const tables = new TableStore()
  const state = new MemoryStateStore({journal: true})
  const stateTopic = topology.statefulTopics.length > 0 ? topology.topic('state') : undefined
  const decoder = decoderFromConfig(config, (role) => topology.topic(role), log, options.env)
  // Before anything is produced: a registry that refuses fa's schema for its outputs stops the run here.
  const sinks = topology.alertTypes.map((a) => ({role: a.sink, topic: topology.topic(a.sink)}))
  const outputs = await retryInFollow(() => ownOutputEncoder(config, sinks, options.env), {
    follow,
    signal,
    log,
    what: 'looking up the output schemas',
  })

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
  let run: GroupRun | undefined
  let batches: BatchProcessor | undefined
  let loader: TableLoader | undefined
  let writer: OutputWriter | undefined
  let pipeline: CommitPipeline | undefined
  let stoppedBy: EnrichResult['stoppedBy'] = 'end'
  let bootstrap = {records: 0, ms: 0}
  let lag: LagReport | null = null
  let streamMs = 0
  let streamStartedAt: number | null = null
  /** The topics the group reads: the sources, then the repartition topics of stateful alert types. */
  let consumed = sources
  /** Lag at exit is only read once the topics are known to exist (kafkajs warns about a missing one). */
  let topicsExist = false
  let repartitioning: Repartitioning | undefined
  try {
    try {
      admin = await retryInFollow(() => connectAdmin(kafka, config, signal), {
        follow,
        signal,
        log,
        what: 'connecting to Kafka',
      })
    } catch (error) {
      // A signal while connecting (or waiting to retry): stop now, there is nothing to finish.
      if (!signal.aborted) throw error
      stoppedBy = 'signal'
      return await finish()
    }
    const needed = [
      ...sources,
      ...topology.tableTopics.map((t) => t.topic),
      topology.deadLetterTopic,
      ...topology.alertTypes.map((a) => topology.topic(a.sink)),
      ...(stateTopic ? [stateTopic] : []),
    ]
    await requireTopics(admin, config, needed)
    topicsExist = true
    const activeAdmin = admin
    repartitioning = await prepareRepartition({admin, config, topology, group, log})
    const plan = repartitioning?.plan
    consumed = [...sources, ...(plan?.topics.map((t) => t.topic) ?? [])]
    const keeper =
      stateTopic === undefined
        ? undefined
        : new StateKeeper(state, stateTopic, group, topology, plan, () =>
            restoreState({kafka, admin: activeAdmin, topic: stateTopic, state, group, log, signal}),
          )

    const activeRun: GroupRun = new GroupRun({
      kafka,
      admin,
      config,
      group,
      topics: consumed,
      tuning,
      follow,
      signal,
      log,
      // fa commits: each spanning transaction, or at-least-once each batch once its outputs are acknowledged.
      autoCommit: false,
      onCrash: 'restart',
      eachBatch: (payload, context) => activeBatches.eachBatch(payload, context),
      // Commit what was processed while this member still owns the partitions.
      beforeRevoke: (commit) => (commits ? commits.flush(commit) : activeWriter.flush()),
      onEmptyBatch: (batch, member) => activeBatches.commitPastMarkers(batch, member),
      onJoin: (payload) => {
        const assigned = Object.entries(payload.memberAssignment)
          .map(([topic, partitions]) => `${topic}[${partitions.join(',')}]`)
          .join(' ')
        log.info('joined the group', {group, assigned: assigned || '(nothing)'})
        // Partitions gained carry the state their last owner wrote: read it before processing them.
        keeper?.invalidate()
        owner?.joined(payload.memberAssignment)
        activeBatches.forgetMarkers()
        commits?.forget()
        metrics.ready('consumer', true)
      },
      onConsumerFailed: () => metrics.ready('consumer', false),
    })
    run = activeRun
    const commits = (pipeline = transactionalId ? undefined : enrichCommits(activeRun, log))
    const orderedTopics = new Set([...(plan?.topics.map((t) => t.topic) ?? []), ...(stateTopic ? [stateTopic] : [])])
    writer = enrichWriter({kafka, admin, group, transactionalId, tuning, log, metrics, run: activeRun, orderedTopics})
    const activeWriter = writer
    const router = new RecordRouter(topology, tables, state, plan, decoder)
    const owner = plan && new LocalPartitions({admin, group, plan, router, log})
    const activeBatches: BatchProcessor = new BatchProcessor({
      router,
      keeper,
      owner,
      tuning,
      log,
      writer,
      transactional: transactionalId !== null,
      commits,
      summary,
      run: activeRun,
      metrics,
      signal,
      encoding: outputs && {encoder: outputs, deadLetters: topology.deadLetterTopic},
    })
    batches = activeBatches
    // Connecting a transactional producer fences an earlier incarnation of this instance and
    // aborts its open transaction, so it must happen before the consumer reads any offset.
    await retryInFollow(() => activeWriter.connect(), {follow, signal, log, what: 'connecting the producer'}).catch(
      (error) => {
        throw error instanceof FaError ? error : kafkaError(error, config, 'connecting the producer')
      },
    )
    // Where a new group starts: committed offsets are read (as stable ones) after that fencing.
    await chooseStart({
      kafka,
      admin,
      group,
      topics: sources,
      from: options.from ?? startFromOf(undefined, config.enrich.from, 'enrich.from'),
      configKey: 'enrich.from',
      commit: true,
      metadata: commitMetadata('fa-enrich'),
      log,
    })

    loader = tableLoader(
      {kafka, admin, topology, tables, group, tuning, log, summary, metrics, decoder, signal},
      {
        writer: activeWriter,
        progress: options.progress,
        outcomes: options.tableOutcomes,
        onUnrecoverable: (error) => activeRun.fail(error),
      },
    )
    try {
      bootstrap = await loader.start(signal)
    } catch (error) {
      if (signal.aborted) {
        stoppedBy = 'signal'
        return await finish()
      }
      throw error instanceof FaError ? error : kafkaError(error, config, 'loading tables')
    }
    observeLoaded(metrics, {loader, admin, group, sources: consumed})
    await options.beforeJoin?.()
    if (signal.aborted) {
      stoppedBy = 'signal'
      return await finish()
    }

    // Cron mode: where to stop (end offsets now) and where we start (committed offsets).
    const drain = await activeRun.fetchDrain()
    if (drain && plan) drainRepartition(drain, kafka, activeAdmin, group, plan, activeBatches.flushMarkers)
    // Exactly-once: once all that is left to drain is processed, its transaction commits now, not at the interval's end.
    if (drain && transactionalId) drain.whenAllProcessed(() => void activeWriter.flush())
    if (drain && drain.remaining === 0) {
      log.info('nothing to do: the group is at the end of every source partition', {group})
      return await finish()
    }

    const stopProgress = streamProgress({
      total: drain?.total,
      bar: options.progress !== false,
      processed: () => activeBatches.processed,
      summary,
      log,
      everyMs: progressEveryMs(follow, options.env),
      lag: async () => (await readLag(activeAdmin, group, consumed)).total,
    })
    const streamStarted = Date.now()
    streamStartedAt = streamStarted
    try {
      // Cron mode also asks the broker (GroupRun polls): partitions another member processed, or
      // whose last records are transaction markers, count as done once their committed offset reaches the target.
      const end = await activeRun.consume()
      if (end.error) throw end.error
      if (end.stoppedBy === 'signal') stoppedBy = 'signal'
    } finally {
      streamMs = Date.now() - streamStarted
      stopProgress()
    }
    return await finish()
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
      // In the topology's order, as a dry run's, whichever record met a pipeline first.
      summary: summary.orderBy(topology.pipelineNames, topology.dropReasons),
      tables: tableStats,
      bootstrap,
      lag,
      ms: Date.now() - started,
      streamMs,
      streamStartedAt,
      lastBatchAt: batches?.lastBatchAt ?? null,
    }
  }

  async function shutdown(): Promise<void> {
    // Order: stop reading (kafkajs waits for the batches in flight, which wait for their writes
    // and commits), then the producer, then the tables; lag is read last, after the final commits.
    const r = run
    run = undefined
    const hadConsumer = r?.consumer !== undefined || r?.isReplacing === true
    await r?.close(async () => pipeline?.flush())
    const w = writer
    writer = undefined
    await w?.close(3_000)
    const l = loader
    loader = undefined
    await l?.stop(3_000).catch(() => {})
    await repartitioning?.stopPurging()
    repartitioning = undefined
    const a = admin
    admin = undefined
    if (a && topicsExist) {
      lag =
        (await withTimeout(
          readLag(a, group, consumed).catch(() => null),
          5_000,
        )) ?? null
    }
    await disconnectQuietly(a, 3_000)
    if (hadConsumer || w) log.info('enrich stopped', {records: summary.records, ...summary.totals, lag: lag?.total})
  }
}
