import {randomUUID} from 'node:crypto'

import type {Admin, Kafka} from 'kafkajs'

import {CommitPipeline} from '../kafka/commit-pipeline.js'
import type {GroupRun} from '../kafka/group-run.js'
import type {EnrichTuning} from '../kafka/tuning.js'
import {groupByTopic} from '../kafka/requests.js'
import {OutputWriter} from '../kafka/writer.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {Summary} from '../pipeline/summary.js'
import type {TableStore} from '../pipeline/table.js'
import type {Topology} from '../pipeline/topology.js'
import type {RecordDecoder} from '../schema/decoder.js'
import type {TopicRecord} from '../records/record.js'
import {DeadLetterMarks} from './dead-letter-marks.js'
import {membershipCheck} from './membership.js'
import {checkedMessage} from './messages.js'
import {rewinder} from './rewind.js'
import {TableLoader} from './table-loader.js'

/**
 * The producer of a run: transactional under --exactly-once, a failed transaction rewinds the
 * consumer, and every commit first asks the group whether this member still belongs to it.
 */
export function enrichWriter(o: {
  kafka: Kafka
  admin: Admin
  group: string
  transactionalId: string | null
  tuning: EnrichTuning
  log: Logger
  metrics: Metrics
  run: GroupRun
  /** Repartition topics and the state changelog: written in the order submitted. */
  orderedTopics: ReadonlySet<string>
}): OutputWriter {
  const {admin, group, log, run} = o
  return new OutputWriter({
    kafka: o.kafka,
    transactionalId: o.transactionalId ?? undefined,
    groupId: group,
    admin,
    log,
    maxRequestBytes: o.tuning.maxRequestBytes,
    // At-least-once batches do not wait for their outputs (CommitPipeline): keep several rounds in flight.
    maxFlushesInFlight: o.tuning.partitionsConsumedConcurrently,
    orderedTopics: o.orderedTopics,
    commitIntervalMs: o.tuning.commitIntervalMs,
    onTransactionFailed: rewinder({admin, group, run, log}),
    onTransaction: (result) => o.metrics.transaction(result),
    beforeCommit: membershipCheck({
      admin,
      group,
      sessionTimeout: o.tuning.sessionTimeout,
      onExpelled: () =>
        void run.replace('expelled from the group: replacing the consumer, to read on from the committed offsets'),
    }),
  })
}

/** At-least-once: each batch's offset committed through the consumer once its outputs are acknowledged. */
export function enrichCommits(run: GroupRun, log: Logger): CommitPipeline {
  return new CommitPipeline({
    commit: (offsets) => run.commit(offsets),
    rewind: (topic, partition, offset) => run.consumer?.seek({topic, partition, offset}),
    log,
  })
}

/**
 * The tables of a run, loaded and followed in a throwaway group; their dead letters go out once
 * (marks), and not at all from a run that leaves its table outcomes to another thread.
 */
export function tableLoader(
  o: {
    kafka: Kafka
    admin: Admin
    topology: Topology
    tables: TableStore
    group: string
    tuning: EnrichTuning
    log: Logger
    summary: Summary
    metrics: Metrics
    decoder: RecordDecoder | undefined
    signal: AbortSignal
  },
  {
    writer,
    progress,
    outcomes = true,
    onUnrecoverable,
  }: {writer: OutputWriter; progress?: boolean; outcomes?: boolean; onUnrecoverable?: (error: Error) => void},
): TableLoader {
  const {kafka, admin, group, tuning, log} = o
  const own = () => ({
    marks: new DeadLetterMarks({
      kafka,
      admin,
      groupId: `${group}-table-dead-letters`,
      topics: o.topology.tableTopics.map((t) => t.topic),
      log,
    }),
    deadLetters: (records: TopicRecord[]) => {
      const messages = records.map((r) => checkedMessage(r, tuning, log))
      return writer.submit(
        groupByTopic(messages),
        messages.reduce((n, m) => n + m.bytes, 0),
      )
    },
    summary: o.summary,
    metrics: o.metrics,
  })
  return new TableLoader({
    kafka,
    admin,
    topology: o.topology,
    tables: o.tables,
    groupId: `${group}-tables-${randomUUID()}`,
    ...(outcomes ? own() : {deadLetters: async () => {}}),
    log,
    decoder: o.decoder,
    signal: o.signal,
    progress,
    onUnrecoverable,
    consumer: {
      sessionTimeout: tuning.sessionTimeout,
      heartbeatInterval: tuning.heartbeatInterval,
      rebalanceTimeout: tuning.rebalanceTimeout,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
    },
  })
}
