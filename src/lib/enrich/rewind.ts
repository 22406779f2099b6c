import type {Admin} from 'kafkajs'

import {committedOffsets, partitionKey} from '../kafka/drain.js'
import type {GroupRun} from '../kafka/group-run.js'
import {partitionRanges} from '../kafka/start-from.js'
import type {PartitionOffset} from '../kafka/writer.js'
import type {Logger} from '../output/log.js'

type Partition = Pick<PartitionOffset, 'topic' | 'partition'>

/**
 * Where the group reads `partitions` from: the committed offset, else (a repartition topic before
 * its first commit) the low watermark, as the group's consumer does on a fresh start.
 */
async function readPositions(admin: Admin, group: string, partitions: Partition[]): Promise<Map<string, number>> {
  const topics = [...new Set(partitions.map((p) => p.topic))]
  const positions = new Map<string, number>()
  for (const [key, {offset}] of await committedOffsets(admin, group, topics))
    if (offset >= 0) positions.set(key, offset)
  const uncommitted = topics.filter((topic) =>
    partitions.some((p) => p.topic === topic && !positions.has(partitionKey(p.topic, p.partition))),
  )
  for (const {topic, partition, low} of await partitionRanges(admin, uncommitted)) {
    const key = partitionKey(topic, partition)
    if (!positions.has(key)) positions.set(key, low)
  }
  return positions
}

/** After a failed transaction: read again from what is committed (nothing of it is lost or doubled). */
export function rewinder(options: {
  admin: Admin
  group: string
  run: GroupRun
  log: Logger
}): (partitions: PartitionOffset[]) => Promise<void> {
  const {admin, group, run, log} = options
  return async (partitions) => {
    const consumer = run.consumer
    // A consumer being replaced reads from the committed offsets anyway.
    if (!consumer || run.isReplacing || partitions.length === 0) return
    let positions
    try {
      positions = await readPositions(admin, group, partitions)
    } catch (error) {
      // The positions are past what failed (its batches were handed on before the commit): never go on from there.
      log.warn('cannot read the committed offsets to rewind to', {error})
      void run.replace('replacing the consumer, which reads on from the committed offsets')
      return
    }
    for (const {topic, partition} of partitions) {
      const offset = positions.get(partitionKey(topic, partition))
      if (offset !== undefined) consumer.seek({topic, partition, offset: String(offset)})
    }
    log.info('rewound to the committed offsets', {partitions: partitions.length})
  }
}
