import type {Admin} from 'kafkajs'

import {committedOffsets, partitionKey} from '../kafka/drain.js'

export interface LagReport {
  total: number
  topics: Record<string, number>
}

/** Records of the source topics the group has not committed yet. */
export async function readLag(admin: Admin, group: string, topics: string[]): Promise<LagReport> {
  const committed = await committedOffsets(admin, group, topics)
  const report: LagReport = {total: 0, topics: {}}
  for (const topic of topics) {
    let lag = 0
    for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
      lag += Math.max(
        0,
        Number(high) - Math.max(Number(low), committed.get(partitionKey(topic, partition))?.offset ?? 0),
      )
    }
    report.topics[topic] = lag
    report.total += lag
  }
  return report
}
