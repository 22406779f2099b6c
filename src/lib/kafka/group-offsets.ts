import type {Admin, Kafka} from 'kafkajs'

import {disconnectQuietly} from './client.js'

export interface GroupOffset {
  topic: string
  partition: number
  offset: number
}

/** What fa uses of a kafkajs Cluster (kafkajs 2.2.4's internals, which the patches already pin). */
interface Cluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  findGroupCoordinator(request: {groupId: string}): Promise<{
    offsetCommit(request: {
      groupId: string
      groupGenerationId: number
      memberId: string
      topics: Array<{topic: string; partitions: Array<{partition: number; offset: string; metadata?: string}>}>
    }): Promise<unknown>
  }>
}

/**
 * Commits `offsets` for a group that has no members, as Kafka's own tools do (an OffsetCommit
 * outside any generation): the broker refuses it while the group has members. kafkajs' own
 * `admin.setOffsets` joins the group with a consumer and waits for a fetch (seconds for every
 * new group), so this sends the one request through a kafkajs cluster, falling back to
 * setOffsets when the kafkajs internals are not the expected ones.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  admin: Admin,
  groupId: string,
  offsets: GroupOffset[],
  metadata?: string,
): Promise<void> {
  const byTopic = new Map<string, Array<{partition: number; offset: string; metadata?: string}>>()
  for (const {topic, partition, offset} of offsets) {
    const list = byTopic.get(topic) ?? []
    list.push({partition, offset: String(offset), ...(metadata === undefined ? {} : {metadata})})
    byTopic.set(topic, list)
  }
  if (byTopic.size === 0) return
  const cluster = createCluster(kafka)
  if (!cluster) {
    for (const [topic, partitions] of byTopic) await admin.setOffsets({groupId, topic, partitions})
    return
  }
  try {
    await cluster.connect()
    for (let attempt = 0; ; attempt++) {
      try {
        const coordinator = await cluster.findGroupCoordinator({groupId})
        await coordinator.offsetCommit({
          groupId,
          groupGenerationId: -1,
          memberId: '',
          topics: [...byTopic].map(([topic, partitions]) => ({topic, partitions})),
        })
        return
      } catch (error) {
        // A coordinator moving or loading (a new group's first commit) answers a retriable error.
        if (attempt >= 4 || !(error as {retriable?: boolean}).retriable) throw error
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt))
      }
    }
  } finally {
    await disconnectQuietly(cluster, 3_000)
  }
}

function createCluster(kafka: Kafka): Cluster | undefined {
  const symbol = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  const create = symbol && (kafka as unknown as Record<symbol, unknown>)[symbol]
  return typeof create === 'function' ? (create({allowAutoTopicCreation: false}) as Cluster) : undefined
}
