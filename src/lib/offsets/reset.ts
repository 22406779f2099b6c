import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {connectAdmin, createKafka, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {committedOffsets, partitionKey} from '../kafka/drain.js'
import {commitMetadata} from '../kafka/commit-time.js'
import {memberName} from '../kafka/group-lag.js'
import {commitGroupOffsets} from '../kafka/group-offsets.js'
import {describeStartFrom, offsetsFor, partitionRanges, type StartFrom} from '../kafka/start-from.js'
import {requireTopics} from '../kafka/topics.js'
import type {Logger} from '../output/log.js'

export interface ResetRow {
  topic: string
  partition: number
  /** The committed offset now (null: none). */
  current: number | null
  target: number
  /** Records the group has left to read, now and after the reset. */
  lagBefore: number
  lagAfter: number
}

export interface ResetResult {
  group: string
  to: string
  /** Active members of the group (a reset is refused while there are any). */
  members: number
  applied: boolean
  partitions: ResetRow[]
}

export interface ResetOptions {
  config: Config
  group: string
  to: StartFrom
  /** The topics to reset; default: those the group has committed offsets for. */
  topics?: string[]
  /** Commit the new offsets (`--yes`); otherwise only say what would change. */
  apply: boolean
  log?: Logger
  env?: NodeJS.ProcessEnv
}

/**
 * `fa offsets reset`: moves a consumer group's committed offsets to the earliest or latest
 * offsets, or to the first record at or after a time. Refused while the group has members:
 * they would overwrite the new offsets with their own positions.
 */
export async function resetGroupOffsets(o: ResetOptions): Promise<ResetResult> {
  const {config, group} = o
  const kafka = await createKafka(config, {log: o.log, clientIdSuffix: 'offsets', env: o.env})
  const admin = await connectAdmin(kafka, config)
  try {
    const topics = o.topics?.length ? o.topics : await committedTopics()
    if (topics.length === 0) {
      throw new FaError(`consumer group ${group} has no committed offsets`, {
        hint: 'name the topics to set them on with --topic',
      })
    }
    await requireTopics(admin, config, topics)
    const [description] = (await admin.describeGroups([group])).groups
    const members = description?.members.length ?? 0
    if (o.apply && members > 0) {
      const who = description!.members.map(memberName).join(', ')
      throw new FaError(
        `consumer group ${group} has ${members} active member${members === 1 ? '' : 's'} (${who}): ` +
          `their own positions would overwrite the reset`,
        {exit: 'locked', hint: 'stop them (fa enrich / fa send of this group) first, then run the reset again'},
      )
    }
    const committed = await committedOffsets(admin, group, topics)
    const ranges = await partitionRanges(admin, topics)
    const targets = await offsetsFor(admin, ranges, o.to)
    const rows = ranges.map((r, i): ResetRow => {
      const offset = committed.get(partitionKey(r.topic, r.partition))?.offset ?? -1
      const current = offset >= 0 ? offset : null
      const target = targets[i]!.offset
      return {
        topic: r.topic,
        partition: r.partition,
        current,
        target,
        lagBefore: r.high - Math.max(current ?? r.low, r.low),
        lagAfter: r.high - target,
      }
    })
    // The topics as named, each one's partitions in order (the broker answers in any order).
    const partitions = rows.sort(
      (a, b) => topics.indexOf(a.topic) - topics.indexOf(b.topic) || a.partition - b.partition,
    )
    if (o.apply) await commitGroupOffsets(kafka, admin, group, targets, commitMetadata('fa-offsets-reset'))
    return {group, to: describeStartFrom(o.to), members, applied: o.apply, partitions}
  } catch (error) {
    throw error instanceof FaError ? error : kafkaError(error, config, 'resetting offsets')
  } finally {
    await disconnectQuietly(admin, 3_000)
  }

  async function committedTopics(): Promise<string[]> {
    const all = await admin.fetchOffsets({groupId: group})
    return all.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic)
  }
}
