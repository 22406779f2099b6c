import type {Admin, Kafka} from 'kafkajs'

import {FaError} from '../errors.js'
import type {Logger} from '../output/log.js'
import {parseTime, WHEN_EXPECTED} from '../when.js'
import {committedOffsets, partitionKey} from './drain.js'
import {commitGroupOffsets, type GroupOffset} from './group-offsets.js'

/** Where a consumer group starts on partitions it has no committed offset for (`--from`). */
export type StartFrom = 'earliest' | 'latest' | Date

/** `--from earliest|latest|<ISO time>|<duration ago>`. */
export function parseStartFrom(flag: string, input: string, now = new Date()): StartFrom {
  const text = input.trim()
  if (text === 'earliest' || text === 'latest') return text
  return parseTime(flag, text, now, `expected earliest, latest, or a time: ${WHEN_EXPECTED}`)
}

export function describeStartFrom(from: StartFrom): string {
  return from instanceof Date ? from.toISOString() : from
}

export interface PartitionRange {
  topic: string
  partition: number
  low: number
  high: number
}

/** The low and high watermarks of every partition of `topics`. */
export async function partitionRanges(admin: Admin, topics: string[]): Promise<PartitionRange[]> {
  const out: PartitionRange[] = []
  for (const topic of topics)
    for (const {partition, low, high} of await admin.fetchTopicOffsets(topic))
      out.push({topic, partition, low: Number(low), high: Number(high)})
  return out
}

/** The offset `from` stands for on each partition: the first record at or after a time (none: the end). */
export async function offsetsFor(admin: Admin, ranges: PartitionRange[], from: StartFrom): Promise<GroupOffset[]> {
  if (!(from instanceof Date)) {
    return ranges.map(({topic, partition, low, high}) => ({topic, partition, offset: from === 'earliest' ? low : high}))
  }
  const byTime = new Map<string, number>()
  for (const topic of new Set(ranges.map((r) => r.topic)))
    for (const {partition, offset} of await admin.fetchTopicOffsetsByTimestamp(topic, from.getTime()))
      byTime.set(partitionKey(topic, partition), Number(offset))
  return ranges.map(({topic, partition, high}) => ({
    topic,
    partition,
    offset: byTime.get(partitionKey(topic, partition)) ?? high,
  }))
}

export interface StartOptions {
  kafka: Kafka
  admin: Admin
  group: string
  topics: string[]
  /** --from, else the config default; undefined: none given. */
  from: StartFrom | undefined
  /** The config key that sets a default, for the message (`enrich.from`). */
  configKey: string
  /** Commit the start offsets to the group (a dry run does not). */
  commit: boolean
  /** The commit metadata of the start offsets (fa send's: nothing of them is in doubt). */
  metadata?: string
  log: Logger
}

/**
 * Where the group starts on partitions without a committed offset. A group that has none at all
 * (a new one) never silently reads all history: without `from` it is refused, saying how many
 * records that would be and how to choose. With `from`, the start offsets are committed, so the
 * next run (with or without --from) reads on from there; a partition added to a known group
 * starts from its beginning unless `from` says otherwise. Returns the offsets chosen.
 */
export async function chooseStart(o: StartOptions): Promise<GroupOffset[]> {
  const committed = await committedOffsets(o.admin, o.group, o.topics)
  const ranges = await partitionRanges(o.admin, o.topics)
  const fresh = ranges.filter((r) => (committed.get(partitionKey(r.topic, r.partition))?.offset ?? -1) < 0)
  if (fresh.length === 0) return []
  const records = fresh.reduce((n, r) => n + r.high - r.low, 0)
  let from = o.from
  if (!from) {
    if (fresh.length < ranges.length) return []
    // Nothing to read yet: earliest and latest are the same place.
    if (records > 0) throw newGroupError(o, records, fresh.length)
    from = 'earliest'
  }
  const starts = await offsetsFor(o.admin, fresh, from)
  if (o.commit) {
    await commitGroupOffsets(o.kafka, o.admin, o.group, starts, o.metadata).catch(async (error: unknown) => {
      // Another instance of the group started at the same moment and committed first: read on from there.
      const now = await committedOffsets(o.admin, o.group, o.topics)
      if (fresh.some((r) => (now.get(partitionKey(r.topic, r.partition))?.offset ?? -1) < 0)) throw error
    })
  }
  const toRead = starts.reduce(
    (n, s) => n + fresh.find((r) => r.topic === s.topic && r.partition === s.partition)!.high - s.offset,
    0,
  )
  o.log.info('consumer group starts', {
    group: o.group,
    from: describeStartFrom(from),
    partitions: starts.length,
    records: toRead,
    skipped: records - toRead,
  })
  return starts
}

function newGroupError(o: StartOptions, records: number, partitions: number): FaError {
  const n = records.toLocaleString('en-US')
  return new FaError(
    `consumer group ${o.group} is new (no committed offsets on ${o.topics.join(', ')}): it ` +
      `would read all ${n} record${records === 1 ? '' : 's'} already there (${partitions} ` +
      `partition${partitions === 1 ? '' : 's'}); say where to start`,
    {
      hint:
        `--from earliest reads all ${n}, --from latest only what arrives from now on, --from 2h or ` +
        `--from 2026-01-31T08:00:00Z what arrived since then; or set ${o.configKey} in the config`,
    },
  )
}

/** `--from` if given, else the config's default (`configKey`), else undefined. */
export function startFromOf(flag: string | undefined, configured: string | undefined, configKey: string) {
  if (flag !== undefined) return parseStartFrom('--from', flag)
  return configured === undefined ? undefined : parseStartFrom(configKey, configured)
}
