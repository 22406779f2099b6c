import type {Admin} from 'kafkajs'

import {committedOffsets, partitionKey} from '../kafka/drain.js'
import type {GroupRun} from '../kafka/group-run.js'
import type {PartitionOffset} from '../kafka/writer.js'
import type {Logger} from '../output/log.js'

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
    let committed
    try {
      committed = await committedOffsets(admin, group, [...new Set(partitions.map((p) => p.topic))])
    } catch (error) {
      // The positions are past what failed (its batches were handed on before the commit): never go on from there.
      log.warn('cannot read the committed offsets to rewind to', {error})
      void run.replace('replacing the consumer, which reads on from the committed offsets')
      return
    }
    for (const {topic, partition} of partitions) {
      const offset = committed.get(partitionKey(topic, partition))?.offset ?? -1
      if (offset >= 0) consumer.seek({topic, partition, offset: String(offset)})
    }
    log.info('rewound to the committed offsets', {partitions: partitions.length})
  }
}
