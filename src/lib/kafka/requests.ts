import type {Message, TopicMessages, TopicOffsets} from 'kafkajs'

import {commitMetadata} from './commit-time.js'
import {murmur2} from './patches/murmur2.js'

/** The next offset to read in one partition: what a consumer group commits. */
export interface PartitionOffset {
  topic: string
  partition: number
  offset: string
}

/** What one caller handed the writer: records per topic (in order) and the offsets they came from. */
export interface Submission {
  messages: Map<string, Message[]>
  bytes: number
  offsets: PartitionOffset[]
  /** The group member that read the records (for the commit guard's membership check). */
  member?: string
  resolve: () => void
  reject: (error: Error) => void
}

/** Approximate bytes of a message on the wire: value, key, headers and record overhead. */
export function messageBytes(message: Message): number {
  let bytes = 32
  const {value, key, headers} = message
  if (value) bytes += typeof value === 'string' ? Buffer.byteLength(value) : value.length
  if (key) bytes += typeof key === 'string' ? Buffer.byteLength(key) : key.length
  if (headers) for (const name in headers) bytes += name.length + 8 + String(headers[name]).length
  return bytes
}

/** The messages of `taken`, per topic in submission order, cut into requests below `max` bytes. */
export function cutRequests(taken: Submission[], max: number): TopicMessages[][] {
  const requests: TopicMessages[][] = []
  let current = new Map<string, Message[]>()
  let bytes = 0
  for (const submission of taken) {
    for (const [topic, messages] of submission.messages) {
      for (const message of messages) {
        const size = messageBytes(message)
        if (bytes > 0 && bytes + size > max) {
          requests.push(toTopicMessages(current))
          current = new Map()
          bytes = 0
        }
        const list = current.get(topic)
        if (list) list.push(message)
        else current.set(topic, [message])
        bytes += size
      }
    }
  }
  if (current.size > 0) requests.push(toTopicMessages(current))
  return requests
}

/**
 * The messages of `taken` cut into requests that carry up to `maxPartitionBytes` for each
 * partition and `maxRequestBytes` in all: the broker's limit (message.max.bytes) is per record
 * batch, one per partition, so a request may hold several partitions' worth. Each message gets
 * its partition here, as kafkajs' default partitioner would choose it (murmur2 of the key, as the
 * Java client; keyless ones in turn), so its batch's size is known.
 */
export function cutByPartition(
  taken: Submission[],
  partitionCounts: Map<string, number>,
  maxPartitionBytes: number,
  maxRequestBytes: number,
): TopicMessages[][] {
  const requests: TopicMessages[][] = []
  let current = new Map<string, Message[]>()
  let perPartition = new Map<string, number>()
  let bytes = 0
  let turn = 0
  for (const submission of taken) {
    for (const [topic, messages] of submission.messages) {
      const count = partitionCounts.get(topic)!
      for (const message of messages) {
        message.partition ??=
          message.key === null || message.key === undefined ? turn++ % count : keyPartition(message.key, count)
        const size = messageBytes(message)
        const slot = `${topic}\u0000${message.partition}`
        const inSlot = perPartition.get(slot) ?? 0
        if (bytes > 0 && (inSlot + size > maxPartitionBytes || bytes + size > maxRequestBytes)) {
          requests.push(toTopicMessages(current))
          current = new Map()
          perPartition = new Map()
          bytes = 0
        }
        const list = current.get(topic)
        if (list) list.push(message)
        else current.set(topic, [message])
        perPartition.set(slot, (perPartition.get(slot) ?? 0) + size)
        bytes += size
      }
    }
  }
  if (current.size > 0) requests.push(toTopicMessages(current))
  return requests
}

/** The partition of `count` a keyed record goes to: the Java client's (and kafkajs') default partitioner. */
export function keyPartition(key: Buffer | string, count: number): number {
  return (murmur2(key) & 0x7fffffff) % count
}

/** One offset per partition: the highest. */
export function mergeOffsets(offsets: PartitionOffset[]): PartitionOffset[] {
  const merged = new Map<string, PartitionOffset>()
  for (const o of offsets) {
    const k = `${o.topic}\u0000${o.partition}`
    const seen = merged.get(k)
    if (!seen || BigInt(o.offset) > BigInt(seen.offset)) merged.set(k, o)
  }
  return [...merged.values()]
}

/** With the commit time in each partition's metadata (kafkajs passes it on to TxnOffsetCommit). */
export function toTopicOffsets(offsets: PartitionOffset[]): TopicOffsets[] {
  const byTopic = new Map<string, TopicOffsets>()
  const metadata = commitMetadata('fa-enrich')
  for (const {topic, partition, offset} of offsets) {
    const entry = byTopic.get(topic) ?? {topic, partitions: []}
    entry.partitions.push({partition, offset, metadata} as TopicOffsets['partitions'][number])
    byTopic.set(topic, entry)
  }
  return [...byTopic.values()]
}

const toTopicMessages = (map: Map<string, Message[]>): TopicMessages[] =>
  [...map].map(([topic, messages]) => ({topic, messages}))

export const countMessages = (requests: TopicMessages[][]): number =>
  requests.reduce((n, r) => n + r.reduce((m, t) => m + t.messages.length, 0), 0)

/** Messages by their topic, in the order the topics first appear, each topic's in the order given. */
export function groupByTopic(items: Array<{message: Message; topic: string}>): Map<string, Message[]> {
  const map = new Map<string, Message[]>()
  for (const {message, topic} of items) {
    const list = map.get(topic)
    if (list) list.push(message)
    else map.set(topic, [message])
  }
  return map
}
