import {randomUUID} from 'node:crypto'

import type {Admin, Kafka, KafkaMessage, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import {readToEnd} from '../kafka/follow.js'
import type {Logger} from '../output/log.js'
import type {MemoryStateStore, StateChange} from '../pipeline/state.js'

/**
 * The state of stateful alert types lives in one compacted changelog topic owned by fa enrich
 * (`topics.state`, default fa-state): key `[namespace, key]` as JSON (namespace
 * `<alert type>/incident` or `<alert type>/history/<as>`), value `{"v": 1, "value": ...}`, a
 * tombstone for a closed or expired incident. A later fa reads older versions; one it does not
 * know stops the run rather than silently dropping open incidents.
 */
export const STATE_FORMAT = 1

export function changelogMessages(changes: StateChange[]): Message[] {
  return changes.map(({namespace, key, value}) => ({
    key: JSON.stringify([namespace, key]),
    value: value === null ? null : JSON.stringify({v: STATE_FORMAT, value}),
  }))
}

/** One changelog record into the store; a record fa cannot read is an error naming where it is. */
export function restoreRecord(
  state: MemoryStateStore,
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, 'key' | 'value' | 'offset'>,
): void {
  const where = `state topic ${topic}[${partition}]@${message.offset}`
  let key: unknown
  try {
    key = JSON.parse(message.key?.toString('utf8') ?? '')
  } catch {
    throw new FaError(`${where}: the key is not fa's ([namespace, key] as JSON)`, {exit: 'kafka'})
  }
  if (!Array.isArray(key) || key.length !== 2 || typeof key[0] !== 'string' || typeof key[1] !== 'string')
    throw new FaError(`${where}: the key is not fa's ([namespace, key] as JSON)`, {exit: 'kafka'})
  if (message.value === null) return state.restore(key[0], key[1], null)
  let record: {v?: unknown; value?: unknown}
  try {
    record = JSON.parse(message.value.toString('utf8')) as typeof record
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
  state.restore(key[0], key[1], record.value ?? null)
}

/** Replaces the store's contents with the changelog read to its end offsets now. */
export async function restoreState(options: {
  kafka: Kafka
  admin: Admin
  topic: string
  state: MemoryStateStore
  log: Logger
  signal?: AbortSignal
}): Promise<{records: number; ms: number}> {
  const {kafka, admin, topic, state, log} = options
  state.clear()
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
          for (const message of messages) restoreRecord(state, topic, partition, message)
        } catch (error) {
          unreadable.abort(error)
          return 0
        }
      },
      log,
    },
    signal,
  )
  log.info('alert state restored', {topic, records: result.records, ms: result.ms})
  return result
}
