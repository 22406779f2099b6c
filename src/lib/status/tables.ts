import {randomUUID} from 'node:crypto'

import type {Admin, Kafka, KafkaMessage} from 'kafkajs'

import {fromKafka} from '../kafka/codec.js'
import {TopicFollower} from '../kafka/follow.js'
import type {Logger} from '../output/log.js'
import {TableStore} from '../pipeline/table.js'
import type {Topology} from '../pipeline/topology.js'
import {parseCheckpoint, type Checkpoint} from '../produce/checkpoint.js'
import type {RecordDecoder} from '../schema/decoder.js'

/** A status is a look, not a consumer: an unavailable registry is reported after this, not waited out. */
const REGISTRY_PATIENCE_MS = 15_000

export interface TableStatus {
  table: string
  topic: string
  /** Rows as fa enrich would hold them: the same core applies every record (bad ones are not rows). */
  rows: number
}

export interface CheckpointStatus {
  producer: string
  /** The high-water mark (`--since checkpoint` starts here), or null: none written yet. */
  until: string | null
  committedAt: string | null
  /** Set when the checkpoint record is not one fa wrote. */
  error?: string
}

/**
 * The tables and the producer checkpoints as `fa status` shows them: the table topics and the
 * checkpoints topic read from the beginning to their end offsets (a throwaway group, no commits),
 * then followed, so `--watch` shows later changes without reading everything again.
 */
export class TablesAndCheckpoints {
  private readonly follower: TopicFollower
  private readonly tables = new TableStore()
  private readonly checkpoints = new Map<string, Buffer | null>()

  constructor(
    private readonly o: {
      kafka: Kafka
      admin: Admin
      topology: Topology
      checkpointsTopic: string
      producers: string[]
      log: Logger
      /** Schema Registry formats: table records decoded as enrich decodes them (one that cannot be is no row). */
      decoder?: RecordDecoder
      signal?: AbortSignal
    },
  ) {
    this.follower = new TopicFollower({
      kafka: o.kafka,
      admin: o.admin,
      topics: [...o.topology.tableTopics.map((t) => t.topic), o.checkpointsTopic],
      groupId: `fa-status-${randomUUID()}`,
      onMessages: (topic, partition, messages) => this.apply(topic, partition, messages),
      log: o.log,
      component: 'status',
      consumer: {maxWaitTimeInMs: 200},
    })
  }

  start(signal?: AbortSignal): Promise<unknown> {
    return this.follower.start(signal)
  }

  stop(): Promise<void> {
    return this.follower.stop(3_000)
  }

  tableStatus(): TableStatus[] {
    return this.o.topology.tableTopics.map(({topic, table}) => ({
      table: table.name,
      topic,
      rows: this.tables.size(table),
    }))
  }

  checkpointStatus(): CheckpointStatus[] {
    return this.o.producers.map((producer): CheckpointStatus => {
      const value = this.checkpoints.get(producer)
      if (!value) return {producer, until: null, committedAt: null}
      try {
        const checkpoint: Checkpoint = parseCheckpoint(value, this.o.checkpointsTopic, producer)
        return {producer, until: checkpoint.until, committedAt: checkpoint.committedAt ?? null}
      } catch (error) {
        return {producer, until: null, committedAt: null, error: (error as Error).message}
      }
    })
  }

  private async apply(topic: string, partition: number, messages: KafkaMessage[]): Promise<void> {
    if (topic === this.o.checkpointsTopic) {
      for (const m of messages) if (m.key) this.checkpoints.set(m.key.toString('utf8'), m.value)
      return
    }
    const {decoder, topology, signal} = this.o
    await decoder?.prepare(topic, messages, {signal, patienceMs: REGISTRY_PATIENCE_MS})
    for (const m of messages) {
      const record = fromKafka(topic, partition, m)
      const decoded = decoder ? decoder.decode(record, m) : {ok: true, record}
      if (decoded.ok) topology.applyTable(decoded.record, this.tables)
    }
  }
}
