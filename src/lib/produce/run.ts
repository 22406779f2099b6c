import type {Kafka, Producer as KafkaProducer} from 'kafkajs'

import {createBigQueryClient} from '../bigquery/client.js'
import {requireCredentials} from '../bigquery/credentials.js'
import type {DryRun} from '../bigquery/query.js'
import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {createKafka, createProducer, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {silentLogger, type Logger} from '../output/log.js'
import type {RecordEncoder} from '../schema/encoder.js'
import {producerEncoder} from '../schema/producer-schema.js'
import type {Envelope} from '../records/envelope.js'
import type {Checkpoint} from './checkpoint.js'
import {advanceCheckpoint} from './checkpoint-advance.js'
import {acquireLock, produceLockFile} from './lock.js'
import {previousCheckpoint} from './previous-checkpoint.js'
import {explainFailure, InterruptedError, untilAborted} from './outcome.js'
import type {Producer} from './producer.js'
import {producerQuery} from './query.js'
import {RowPublisher} from './publish.js'
import type {CheckpointOutcome, ProduceSummary} from './summary.js'
import {CHECKPOINT, DEFAULT_GRACE, makeWindow, parseGrace, parseSince, parseUntil, type Window} from './window.js'

export interface ProduceRunOptions {
  producer: Producer
  config: Config
  /** `--since`: a duration, a timestamp, or `checkpoint`. */
  since: string
  /** `--until`: a duration or timestamp; now when absent. */
  until?: string
  /** BigQuery's free estimate only: nothing queried, nothing produced (no lock, no checkpoint). */
  dryRun?: boolean
  /** A dry run that also runs the (billed) query and shows the events of at most this many rows. */
  preview?: number
  /** `--grace`: how far before the checkpoint `--since checkpoint` re-reads (else producers.grace, else 15m). */
  grace?: string
  /** Rows per BigQuery results page. */
  pageSize?: number
  /** Records per acknowledged sendBatch (default: 500, or the page size if smaller). */
  batchRecords?: number
  now?: Date
  /** Stops between rows; the checkpoint is not advanced. */
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  /** kafkajs' own logging (retries, connection trouble). */
  log?: Logger
  /** Dry run: BigQuery's (free) estimate for the window, before any query runs. */
  onEstimate?: (estimate: DryRun, window: Window) => void
  /** Dry run: every record that would be produced (events, then dead letters, in row order). */
  onRecord?: (record: Envelope, kind: 'event' | 'dead-letter') => void
}

/**
 * `fa produce NAME`: runs the producer's query over the window and publishes one event per row
 * (rows its schema refuses go to the dead-letter topic, with the reason), then advances the
 * producer's checkpoint. Safe from cron:
 * - a lock file refuses a second run of the same producer (and checkpoint) on this host;
 * - the idempotent producer (acks all, one request in flight) awaits every batch, and the
 *   checkpoint moves only after every event is acknowledged: a failed or interrupted run leaves
 *   it where it was, and the next `--since checkpoint` run repeats the window;
 * - event ids derive from the producer and each row's natural key, so a repeated or overlapping
 *   window re-produces the same ids, which downstream deduplicates.
 * The checkpoint never moves backwards, nor over a gap (a window starting after it).
 */
export async function runProduce(options: ProduceRunOptions): Promise<ProduceSummary> {
  const started = Date.now()
  const {producer, config} = options
  const env = options.env ?? process.env
  const log = options.log ?? silentLogger
  const preview = options.preview
  const dryRun = Boolean(options.dryRun) || preview !== undefined
  const now = options.now ?? new Date()
  const grace = options.grace ?? config.producers.grace[producer.name] ?? DEFAULT_GRACE
  const graceMs = parseGrace(options.grace === undefined ? `producers.grace.${producer.name}` : '--grace', grace)
  const sinceArg = parseSince(options.since, now)
  const until = parseUntil(options.until, now)
  if (sinceArg !== CHECKPOINT) makeWindow(sinceArg, until)
  if (sinceArg !== CHECKPOINT && options.grace !== undefined)
    throw new FaError('--grace applies only with --since checkpoint', {
      exit: 'usage',
      hint: 'an explicit --since already says where the window starts',
    })
  const topic = config.topics[producer.topic] ?? producer.topic
  const deadLetterTopic = config.topics.deadLetters
  const checkpointTopic = config.topics.checkpoints
  // Before any lock or connection: a missing project is a config error.
  const client = createBigQueryClient(config.bigquery, env)
  await requireCredentials(env)

  const lock = dryRun
    ? undefined
    : await acquireLock(produceLockFile(producer.name, config, env), `fa produce ${producer.name}`)
  let kafka: Kafka | undefined
  let sender: KafkaProducer | undefined
  let publisher: RowPublisher | undefined
  try {
    // A dry run needs Kafka only to read the checkpoint.
    let previous: Checkpoint | undefined
    if (!dryRun || sinceArg === CHECKPOINT) {
      kafka = await createKafka(config, {log, env, clientIdSuffix: `produce-${producer.name}`})
      previous = await previousCheckpoint(kafka, config, {
        producer: producer.name,
        needed: dryRun ? [checkpointTopic] : [topic, deadLetterTopic, checkpointTopic],
        checkpointTopic,
        explicitSince: sinceArg !== CHECKPOINT,
        signal: options.signal,
        log,
      })
    }

    let since: Date
    if (sinceArg === CHECKPOINT) {
      if (!previous) {
        throw new FaError(`producer "${producer.name}" has no checkpoint in ${checkpointTopic} yet`, {
          exit: 'usage',
          hint: `run it once with an explicit --since (e.g. \`fa produce ${producer.name} --since 1h\`); later runs continue from where it ended`,
        })
      }
      // Rows reach BigQuery late (streaming inserts, batch loads): re-read the grace before the checkpoint.
      since = new Date(Date.parse(previous.until) - graceMs)
    } else {
      since = sinceArg
    }
    const summary = (fields: Partial<ProduceSummary> & {checkpoint: CheckpointOutcome}): ProduceSummary => ({
      producer: producer.name,
      rows: 0,
      events: 0,
      deadLetters: 0,
      topic,
      deadLetterTopic,
      window: {since: since.toISOString(), until: until.toISOString()},
      bytesProcessed: 0,
      bytesBilled: 0,
      cost: 0,
      jobId: null,
      durationMs: Date.now() - started,
      dryRun,
      ...(preview === undefined ? {} : {preview}),
      ...(sinceArg === CHECKPOINT ? {grace} : {}),
      ...fields,
    })
    const previousUntil = previous?.until ?? null
    if (sinceArg === CHECKPOINT && previousUntil !== null && Date.parse(previousUntil) >= until.getTime()) {
      // Caught up (cron runs close together, or --until before the checkpoint): nothing to query.
      const note = `the checkpoint (${previousUntil}) is not before --until (${until.toISOString()}): nothing to query`
      return summary({
        checkpoint: {topic: checkpointTopic, previous: previousUntil, current: previousUntil, advanced: false, note},
      })
    }
    const window = makeWindow(since, until)
    const query = await producerQuery(producer, {client, settings: config.bigquery, window, pageSize: options.pageSize})

    let estimate: DryRun | undefined
    const dryRunCheckpoint = {
      topic: checkpointTopic,
      previous: previousUntil,
      current: previousUntil,
      advanced: false,
      note: 'dry run',
    }
    let encoder: RecordEncoder | undefined
    if (dryRun) {
      estimate = await query.dryRun()
      options.onEstimate?.(estimate, window)
      // The estimate is free; only a preview runs (and bills) the query.
      if (preview === undefined)
        return summary({
          bytesProcessed: Number(estimate.bytesProcessed),
          cost: estimate.cost,
          checkpoint: dryRunCheckpoint,
        })
    } else {
      // Before the query too: a schema the registry refuses stops the run before anything is produced.
      encoder = await producerEncoder(config, producer, topic, env)
      // Connected before the query runs: a Kafka problem should not cost a query.
      sender = await createProducer(kafka!, {
        idempotent: true,
        maxInFlightRequests: 1,
        retry: {retries: 8, initialRetryTime: 300, maxRetryTime: 10_000},
      })
      await sender.connect().catch((error: unknown) => {
        throw kafkaError(error, config, 'connecting the producer')
      })
    }

    const run = await untilAborted(query.run(), options.signal)
    publisher = new RowPublisher({
      producer,
      config,
      topic,
      deadLetterTopic,
      window,
      dryRun,
      sender,
      encoder,
      // At most a page: a page's events are acknowledged before the next page is asked for.
      batchRecords: options.batchRecords ?? Math.min(500, options.pageSize ?? 1000),
      preview,
      signal: options.signal,
      onRecord: options.onRecord,
    })
    await publisher.publish(run)
    if (options.signal?.aborted) throw new InterruptedError()

    const {rows, events, deadLetters, produced} = publisher
    const common = {rows, events, deadLetters, jobId: run.jobId}
    if (dryRun) {
      return summary({
        ...common,
        bytesProcessed: Number(estimate!.bytesProcessed),
        cost: estimate!.cost,
        checkpoint: dryRunCheckpoint,
      })
    }

    const stats = await run.statistics()
    // Every event is acknowledged: the checkpoint may move.
    const checkpoint = await advanceCheckpoint({
      sender: sender!,
      config,
      topic: checkpointTopic,
      previous: previousUntil,
      window,
      run: {producer: producer.name, ...common},
      produced,
    })
    return summary({
      ...common,
      bytesProcessed: Number(stats.bytesProcessed),
      bytesBilled: Number(stats.bytesBilled),
      cost: stats.cost,
      checkpoint,
    })
  } catch (error) {
    throw explainFailure(error, {produced: publisher?.produced ?? 0, dryRun})
  } finally {
    await disconnectQuietly(sender)
    await lock?.release()
  }
}
