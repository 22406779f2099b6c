import type {Consumer, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import type {Logger} from '../output/log.js'
import type {Intake} from './intake.js'
import type {CommitTarget, RunCommitter} from './roles.js'
import type {SendTuning} from './tuning.js'

export interface SendConsumerOptions {
  kafka: Kafka
  config: Config
  log: Logger
  /** The group the run is for (a dry run's consumer reads as a throwaway one: committer.groupId). */
  group: string
  /** slack-messages */
  topic: string
  tuning: SendTuning
  intake: Intake
  committer: RunCommitter
  /** Aborted at a stop: nothing more is taken on, the consumer is not restarted. */
  stop: AbortSignal
  /** The consumer failed for good. */
  fail: (error: Error) => void
}

/**
 * All of `fa send`'s kafkajs consumer handling: the group member reading slack-messages (its
 * config, the group's events, batches handed to intake), the wait for the end of the run, and
 * pausing and disconnecting it at a stop. Commits go through it (see commits.ts).
 */
export class SendConsumer implements CommitTarget {
  private readonly consumer: Consumer

  constructor(private readonly o: SendConsumerOptions) {
    const {kafka, tuning, committer, intake, group, topic, log, stop} = o
    const c = kafka.consumer({
      groupId: committer.groupId,
      sessionTimeout: tuning.sessionTimeout,
      heartbeatInterval: tuning.heartbeatInterval,
      rebalanceTimeout: tuning.rebalanceTimeout,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      maxBytesPerPartition: tuning.maxBytesPerPartition,
      readUncommitted: false,
      allowAutoTopicCreation: false,
      retry: {retries: 10, initialRetryTime: 300, maxRetryTime: 30_000, restartOnFailure: async () => !stop.aborted},
    })
    c.on(c.events.GROUP_JOIN, ({payload}) => {
      const assigned = new Set(payload.memberAssignment[topic] ?? [])
      log.info('joined the group', {group, partitions: [...assigned].join(',') || '(none)'})
      intake.assigned(assigned)
      committer
        .startOffsets(assigned)
        .then((offsets) => {
          for (const {partition, offset} of offsets) c.seek({topic, partition, offset: String(offset)})
        })
        .catch((error) => log.warn('cannot read the group offsets', {error}))
    })
    c.on(c.events.END_BATCH_PROCESS, ({payload}) => {
      // Batches of only transaction markers never reach eachBatch but still move the position.
      if (payload.batchSize === 0)
        intake.markers(payload.topic, payload.partition, payload.firstOffset, payload.lastOffset)
    })
    c.on(c.events.CRASH, ({payload}) => {
      if (stop.aborted) return
      log.warn('consumer failed', {error: payload.error, restart: payload.restart})
      if (!payload.restart) o.fail(kafkaError(payload.error, o.config, 'consuming'))
    })
    this.consumer = c
  }

  async start(): Promise<void> {
    const c = this.consumer
    try {
      await c.connect()
      await c.subscribe({topics: [this.o.topic], fromBeginning: true})
      await c.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.o.intake.batch(payload),
      })
    } catch (error) {
      await disconnectQuietly(c, 3_000)
      throw kafkaError(error, this.o.config, 'starting the consumer')
    }
  }

  commitOffsets(offsets: Parameters<CommitTarget['commitOffsets']>[0]): Promise<void> {
    return this.consumer.commitOffsets(offsets)
  }

  /** At a stop: nothing more is fetched. */
  pause(): void {
    try {
      this.consumer.pause([{topic: this.o.topic}])
    } catch {
      // not running
    }
  }

  async disconnect(): Promise<void> {
    if (!(await disconnectQuietly(this.consumer, 5_000))) this.o.log.warn('consumer did not disconnect in time')
  }
}

/**
 * Resolves when the run should stop: the signal aborts (`onSignal` is told, also of an abort
 * later on), every partition is drained, or the run failed.
 */
export function untilStopped(
  signal: AbortSignal,
  onSignal: () => void,
  ends: Array<Promise<void> | undefined>,
): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) {
      onSignal()
      return resolve()
    }
    signal.addEventListener('abort', () => (onSignal(), resolve()), {once: true})
    for (const end of ends) void end?.then(() => resolve())
  })
}
