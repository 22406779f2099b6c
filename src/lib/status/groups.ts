import type {Admin} from 'kafkajs'

import {loadKafkaJs} from '../kafka/client.js'
import {commitTimeOf} from '../kafka/commit-time.js'
import {committedOffsets, partitionKey} from '../kafka/drain.js'
import {memberHost, memberName, readGroupLag, type PartitionPosition} from '../kafka/group-lag.js'

export interface MemberStatus {
  clientId: string
  host: string
  /** `topic[partition,…]` it is assigned. */
  assigned: string[]
}

export interface GroupStatus {
  group: string
  /** What reads in it: `enrich` or `send`. */
  role: string
  /** The group coordinator's state: Stable, Empty, PreparingRebalance, … (Dead: never used). */
  state: string
  members: MemberStatus[]
  lag: number
  /** Lag per topic. */
  topics: Record<string, number>
  partitions: Array<PartitionPosition & {member: string | null; committedAt: string | null}>
  /** The latest commit time the commit metadata tells (fa enrich and fa send write it; see kafka/commit-time.ts). */
  lastCommitAt: string | null
}

/** A consumer group's state, members (and what each is assigned), committed offsets and lag per partition. */
export async function groupStatus(admin: Admin, group: string, role: string, topics: string[]): Promise<GroupStatus> {
  const {AssignerProtocol} = await loadKafkaJs()
  const [lag, committed, described] = await Promise.all([
    readGroupLag(admin, group, topics),
    committedOffsets(admin, group, topics),
    admin.describeGroups([group]),
  ])
  const info = described.groups.find((g) => g.groupId === group)
  const owner = new Map<string, string>()
  const members = (info?.members ?? []).map((m): MemberStatus => {
    let assignment: Record<string, number[]> = {}
    try {
      assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}
    } catch {
      // A member of another client library may assign in its own format: shown without partitions.
    }
    const assigned = Object.entries(assignment).map(([topic, ps]) => `${topic}[${ps.join(',')}]`)
    for (const [topic, ps] of Object.entries(assignment))
      for (const p of ps) owner.set(partitionKey(topic, p), memberName(m))
    return {clientId: m.clientId, host: memberHost(m), assigned}
  })
  let last: number | null = null
  const partitions = lag.partitions.map((p) => {
    const at = commitTimeOf(committed.get(partitionKey(p.topic, p.partition))?.metadata ?? null)
    if (at !== null && (last === null || at > last)) last = at
    return {
      ...p,
      member: owner.get(partitionKey(p.topic, p.partition)) ?? null,
      committedAt: at === null ? null : new Date(at).toISOString(),
    }
  })
  const perTopic: Record<string, number> = Object.fromEntries(topics.map((t) => [t, 0]))
  for (const p of lag.partitions) perTopic[p.topic]! += p.lag
  return {
    group,
    role,
    topics: perTopic,
    state: info?.state ?? 'Dead',
    members,
    lag: lag.total,
    partitions,
    lastCommitAt: last === null ? null : new Date(last).toISOString(),
  }
}
