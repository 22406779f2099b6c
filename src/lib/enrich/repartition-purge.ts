import type {Admin} from 'kafkajs'

import {withTimeout} from '../kafka/client.js'
import {committedOffsets, partitionKey} from '../kafka/drain.js'
import type {Logger} from '../output/log.js'

/**
 * Repartition topics are kept without time-based retention (their records carry their events'
 * own timestamps), so, as Kafka Streams does, fa enrich deletes what the group has committed
 * past: every `everyMs`, and once more when it stops. Any member may do it (it is idempotent);
 * a principal without the topic's DELETE permission is told once and the records stay.
 */
export function purgeRepartition(o: {admin: Admin; group: string; topics: string[]; log: Logger; everyMs?: number}): {
  stop(): Promise<void>
} {
  const purged = new Map<string, number>()
  let refused = false
  let running: Promise<void> | undefined
  const purge = async () => {
    const committed = await committedOffsets(o.admin, o.group, o.topics)
    for (const topic of o.topics) {
      const partitions: Array<{partition: number; offset: string}> = []
      for (const [key, {offset}] of committed) {
        const [name, partition] = key.split('\u0000')
        if (name !== topic || offset <= (purged.get(key) ?? 0)) continue
        partitions.push({partition: Number(partition), offset: String(offset)})
      }
      if (partitions.length === 0) continue
      await o.admin.deleteTopicRecords({topic, partitions})
      for (const {partition, offset} of partitions) purged.set(partitionKey(topic, partition), Number(offset))
      o.log.debug('deleted processed repartition records', {topic, partitions: partitions.length})
    }
  }
  const tick = () => {
    if (refused || running) return
    running = purge()
      .catch((error: Error) => {
        if (!/authoriz/i.test(error.message)) return o.log.debug('cannot delete processed repartition records', {error})
        refused = true
        o.log.warn('cannot delete processed repartition records: they stay until deleted by hand', {
          topics: o.topics,
          error: error.message,
          hint: 'grant the enrich principal DELETE on the repartition topics',
        })
      })
      .finally(() => (running = undefined))
  }
  const timer = setInterval(tick, o.everyMs ?? 30_000)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await running
      tick()
      await withTimeout(running ?? Promise.resolve(), 5_000)
    },
  }
}
