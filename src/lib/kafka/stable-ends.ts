import type {Admin, Kafka} from 'kafkajs'

import {partitionKey} from './drain.js'
import {internalCluster} from './internal-cluster.js'
import {partitionRanges} from './start-from.js'

const READ_UNCOMMITTED = 0

interface UncommittedCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  addMultipleTargetTopics(topics: string[]): Promise<void>
  findTopicPartitionMetadata(topic: string): Array<{partitionId: number}>
  fetchTopicsOffset(
    topics: Array<{topic: string; fromBeginning: boolean; partitions: Array<{partition: number}>}>,
  ): Promise<Array<{topic: string; partitions: Array<{partition: number; offset: string}>}>>
}

/**
 * The end offsets of `topics` with records of open transactions counted (the high watermark),
 * where kafkajs' admin gives the last stable offset: a cluster of its own asks ListOffsets
 * read_uncommitted. Undefined where kafkajs' private factory is not there.
 */
async function highWatermarks(kafka: Kafka, topics: string[]): Promise<Map<string, number> | undefined> {
  const cluster = internalCluster<UncommittedCluster>(kafka, {isolationLevel: READ_UNCOMMITTED})
  if (!cluster) return undefined
  await cluster.connect()
  try {
    await cluster.addMultipleTargetTopics(topics)
    const ends = await cluster.fetchTopicsOffset(
      topics.map((topic) => ({
        topic,
        fromBeginning: false,
        partitions: cluster.findTopicPartitionMetadata(topic).map((p) => ({partition: p.partitionId})),
      })),
    )
    const out = new Map<string, number>()
    for (const {topic, partitions} of ends)
      for (const {partition, offset} of partitions) out.set(partitionKey(topic, partition), Number(offset))
    return out
  } finally {
    await cluster.disconnect().catch(() => {})
  }
}

/**
 * Resolves once every transaction with records in `topics` now is decided: the last stable
 * offset (what a read_committed consumer reads to) has reached the high watermark seen first, so
 * what a transaction that just committed wrote is readable, its markers written. EndTxn returns
 * before the coordinator writes the markers; end offsets read right after it stop short of that
 * transaction's records. Gives up after `timeoutMs` (another producer's transaction left open).
 */
export async function waitForStableEnds(
  kafka: Kafka,
  admin: Admin,
  topics: string[],
  {timeoutMs = 10_000, pollMs = 10}: {timeoutMs?: number; pollMs?: number} = {},
): Promise<void> {
  const high = await highWatermarks(kafka, topics)
  if (!high) return
  const until = Date.now() + timeoutMs
  for (;;) {
    const stable = await partitionRanges(admin, topics)
    if (stable.every((r) => r.high >= (high.get(partitionKey(r.topic, r.partition)) ?? 0))) return
    if (Date.now() >= until) return
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}
