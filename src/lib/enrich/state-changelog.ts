import {randomUUID} from 'node:crypto'

import type {Admin, Kafka, KafkaMessage, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import {readToEnd} from '../kafka/follow.js'
import type {Logger} from '../output/log.js'
import {stateJson} from '../pipeline/packed-content.js'
import type {MemoryStateStore, StateChange} from '../pipeline/state.js'

/**
 * The state of stateful alert types lives in one compacted changelog topic owned by fa enrich
 * (`topics.state`, default fa-state): key `[group, namespace, key]` as JSON (namespace
 * `<alert type>/incident` or `<alert type>/history/<as>`), value `{"v": 1, "value": ...}`, a
 * tombstone for a closed or expired incident. State is the consumer group's, as a Kafka Streams
 * store is its application id's: a new group starts without the incidents of another. A later fa
 * reads older versions; one it does not know stops the run rather than silently dropping open
 * incidents.
 */
export const STATE_FORMAT = 1

export function changelogMessages(group: string, changes: StateChange[]): Message[] {
  return changes.map(({namespace, key, value}) => ({
    key: JSON.stringify([group, namespace, key]),
    value: value === null ? null : `{"v":${STATE_FORMAT},"value":${stateJson(value)}}`,
  }))
}

type ChangelogRecord = Pick<KafkaMessage, 'key' | 'value' | 'offset'>

/**
 * One restore of a group's state from the changelog. Records of other groups are passed over.
 * Records written before state was the group's (keys `[namespace, key]`, one state for every
 * group) are kept aside and become the group's if it has no records of its own yet (its first
 * run on this fa), written back under its keys with its first batch.
 */
export class StateRestore {
  private own = 0
  private readonly shared = new Map<string, StateChange>()

  constructor(
    private readonly state: MemoryStateStore,
    private readonly group: string,
  ) {}

  /** One changelog record; a record fa cannot read is an error naming where it is. */
  add(topic: string, partition: number, message: ChangelogRecord): void {
    const where = `state topic ${topic}[${partition}]@${message.offset}`
    const key = changelogKey(message, where)
    if (key.group !== undefined && key.group !== this.group) return
    const value = message.value === null ? null : stateValue(message.value, where)
    if (key.group === undefined) {
      this.shared.set(JSON.stringify([key.namespace, key.key]), {namespace: key.namespace, key: key.key, value})
      return
    }
    this.own++
    this.state.restore(key.namespace, key.key, value)
  }

  /** After the last record: the shared state of an older fa, for a group that has none of its own; how many values it took. */
  finish(): number {
    if (this.own > 0) return 0
    let taken = 0
    for (const {namespace, key, value} of this.shared.values()) {
      if (value === null) continue
      this.state.put(namespace, key, value)
      taken++
    }
    return taken
  }
}

function changelogKey(message: ChangelogRecord, where: string): {group?: string; namespace: string; key: string} {
  let key: unknown
  try {
    key = JSON.parse(message.key?.toString('utf8') ?? '')
  } catch {
    key = undefined
  }
  const parts = Array.isArray(key) && key.every((part) => typeof part === 'string') ? (key as string[]) : []
  if (parts.length === 3) return {group: parts[0], namespace: parts[1]!, key: parts[2]!}
  if (parts.length === 2) return {namespace: parts[0]!, key: parts[1]!}
  throw new FaError(`${where}: the key is not fa's ([group, namespace, key] as JSON)`, {exit: 'kafka'})
}

function stateValue(bytes: Buffer, where: string): unknown {
  let record: {v?: unknown; value?: unknown}
  try {
    record = JSON.parse(bytes.toString('utf8')) as typeof record
  } catch {
    throw new FaError(`${where}: the value is not JSON`, {exit: 'kafka'})
  }
  if (typeof record?.v !== 'number' || record.v > STATE_FORMAT || record.v < 1)
    throw new FaError(
      `${where}: state format version ${String(record?.v)} is not one this fa reads (1 to ${STATE_FORMAT})`,
      {
        exit: 'kafka',
        hint: 'a newer fa wrote it: run that version (open incidents would be lost otherwise)',
      },
    )
  return record.value ?? null
}

/** Replaces the store's contents with the changelog read to its end offsets now. */
export async function restoreState(options: {
  kafka: Kafka
  admin: Admin
  topic: string
  state: MemoryStateStore
  group: string
  log: Logger
  signal?: AbortSignal
}): Promise<{records: number; ms: number}> {
  const {kafka, admin, topic, state, log} = options
  state.clear()
  const restore = new StateRestore(state, options.group)
  log.info('restoring alert state', {topic})
  // A record fa cannot read ends the read at once (kafkajs would retry the batch forever).
  const unreadable = new AbortController()
  const signal = options.signal ? AbortSignal.any([options.signal, unreadable.signal]) : unreadable.signal
  const result = await readToEnd(
    {
      kafka,
      admin,
      topics: [topic],
      groupId: `fa-state-restore-${randomUUID()}`,
      component: 'state',
      onMessages: (_, partition, messages) => {
        if (unreadable.signal.aborted) return 0
        try {
          for (const message of messages) restore.add(topic, partition, message)
        } catch (error) {
          unreadable.abort(error)
          return 0
        }
      },
      log,
    },
    signal,
  )
  const shared = restore.finish()
  log.info('alert state restored', {topic, group: options.group, records: result.records, ms: result.ms})
  if (shared > 0)
    log.info('took the state an older fa kept for every group', {topic, group: options.group, values: shared})
  return result
}
