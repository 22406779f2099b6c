import type {Admin} from 'kafkajs'

import {committedOffsets, partitionKey} from './drain.js'

export interface PartitionPosition {
  topic: string
  partition: number
  /** The group's committed offset, -1 when it never committed one. */
  committed: number
  /** The partition's start and end offsets (low and high watermarks). */
  start: number
  end: number
  /** Records after the committed offset (from the start offset when none is committed). */
  lag: number
}

export interface GroupLag {
  group: string
  total: number
  partitions: PartitionPosition[]
}

/** Where `group` stands on every partition of `topics`: committed offsets against the end offsets now. */
export async function readGroupLag(admin: Admin, group: string, topics: string[]): Promise<GroupLag> {
  const committed = await committedOffsets(admin, group, topics)
  const partitions: PartitionPosition[] = []
  for (const topic of topics) {
    for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
      const offset = committed.get(partitionKey(topic, partition))?.offset ?? -1
      const start = Number(low)
      const end = Number(high)
      partitions.push({
        topic,
        partition,
        committed: offset,
        start,
        end,
        lag: Math.max(0, end - Math.max(start, offset)),
      })
    }
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
  return {group, total: partitions.reduce((n, p) => n + p.lag, 0), partitions}
}

/** A group member as people know it: `<client id>@<host>` (the broker reports the host as `/10.0.3.7`). */
export function memberName(member: {clientId: string; clientHost: string}): string {
  return `${member.clientId}@${memberHost(member)}`
}

export function memberHost(member: {clientHost: string}): string {
  return member.clientHost.replace(/^\//, '')
}
