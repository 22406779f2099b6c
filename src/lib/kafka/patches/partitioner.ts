// kafkajs 2.2.4's partitioner and per-partition grouping, without per-message copies (part of speedup.ts).

interface PartitionMetadata {
  partitionId: number
  leader: number
}

type Partitioner = (args: {
  topic: string
  partitionMetadata: PartitionMetadata[]
  message: {partition?: number | null; key?: unknown}
}) => number

/** kafkajs' partitioner factory (legacy/partitioner.js), same choices, without a filtered copy of the partitions per message. */
export function partitionerFactory(randomBytes: (size: number) => Buffer) {
  const toPositive = (x: number) => x & 0x7fffffff
  return (hash: (key: Buffer | string) => number) => (): Partitioner => {
    const counters: Record<string, number> = {}
    return ({topic, partitionMetadata, message}) => {
      if (!(topic in counters)) counters[topic] = randomBytes(32).readUInt32BE(0)
      if (message.partition !== null && message.partition !== undefined) return message.partition
      const numPartitions = partitionMetadata.length
      if (message.key !== null && message.key !== undefined)
        return toPositive(hash(message.key as Buffer | string)) % numPartitions
      const available = partitionMetadata.filter((p) => p.leader >= 0)
      if (available.length > 0) return available[toPositive(++counters[topic]!) % available.length]!.partitionId
      return toPositive(++counters[topic]!) % numPartitions
    }
  }
}

/** kafkajs' groupMessagesPerPartition: partition → its messages in order, in linear time. */
export function groupMessagesPerPartition({
  topic,
  partitionMetadata,
  messages,
  partitioner,
}: {
  topic: string
  partitionMetadata: PartitionMetadata[]
  messages: Array<{partition?: number | null; key?: unknown}>
  partitioner: Partitioner
}): Record<number, unknown[]> {
  const result: Record<number, unknown[]> = {}
  if (partitionMetadata.length === 0) return result
  for (const message of messages) {
    const partition = partitioner({topic, partitionMetadata, message})
    const list = result[partition]
    if (list) list.push(message)
    else result[partition] = [message]
  }
  return result
}
