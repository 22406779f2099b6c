import type {Admin} from 'kafkajs'

import {readGroupLag} from '../kafka/group-lag.js'

export interface LagReport {
  total: number
  topics: Record<string, number>
}

/** Records of the source topics the group has not committed yet, per topic. */
export async function readLag(admin: Admin, group: string, topics: string[]): Promise<LagReport> {
  const {total, partitions} = await readGroupLag(admin, group, topics)
  const report: LagReport = {total, topics: Object.fromEntries(topics.map((t) => [t, 0]))}
  for (const p of partitions) report.topics[p.topic]! += p.lag
  return report
}
