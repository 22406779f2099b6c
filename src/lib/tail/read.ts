import {randomUUID} from 'node:crypto'

import type {Admin, Kafka} from 'kafkajs'

import {disconnectQuietly} from '../kafka/client.js'
import {Unrecoverable} from '../errors.js'
import {fromKafka} from '../kafka/codec.js'
import {offsetsFor, partitionRanges, type StartFrom} from '../kafka/start-from.js'
import type {TopicRecord} from '../records/record.js'
import type {RecordDecoder} from '../schema/decoder.js'

/** Where `fa tail` starts in each partition. */
export type TailStart = {from: StartFrom} | {last: number}

export interface TailOptions {
  kafka: Kafka
  admin: Admin
  topic: string
  start: TailStart
  /** Keep reading new records until `signal` aborts; otherwise stop at the end offsets seen at start. */
  follow: boolean
  signal: AbortSignal
  /** Records of one batch, in offset order. */
  onRecords(records: TailRecord[]): void | Promise<void>
  /** Schema Registry formats: framed keys and values are shown decoded. */
  decoder?: RecordDecoder
}

/** A record as read, decoded when in a registry format; `undecodable` says why one in a format could not be. */
export interface TailRecord {
  record: TopicRecord
  undecodable?: string
}

/**
 * Reads one topic from `start` as a throwaway consumer group (nothing committed): every
 * partition is sought to its start offset once the consumer runs, and records before it that
 * were fetched already are skipped. read_committed, so aborted transactions never show.
 */
export async function tailTopic(options: TailOptions): Promise<void> {
  const {kafka, admin, topic, signal} = options
  const starts = await startOffsets(admin, topic, options.start)
  // Without --follow: partitions still to read up to their end offset now.
  const pending = new Map<number, number>()
  if (!options.follow) for (const s of starts) if (s.end > s.offset) pending.set(s.partition, s.end)
  if (!options.follow && pending.size === 0) return
  const from = new Map(starts.map((s) => [s.partition, s.offset]))
  let finish: () => void = () => {}
  let crash: (error: Error) => void = () => {}
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (crash = reject)))
  const advance = (partition: number, next: number) => {
    const target = pending.get(partition)
    if (target === undefined || next < target) return
    pending.delete(partition)
    if (pending.size === 0) finish()
  }
  const consumer = kafka.consumer({groupId: `fa-tail-${randomUUID()}`, maxWaitTimeInMs: 250, readUncommitted: false})
  // Also batches of only transaction markers, which never reach eachBatch.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({payload}) =>
    advance(payload.partition, Number(payload.lastOffset) + 1),
  )
  consumer.on(consumer.events.CRASH, ({payload}) => {
    if (!payload.restart) crash(payload.error)
  })
  try {
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({batch}) => {
        const first = from.get(batch.partition) ?? 0
        const end = options.follow ? Infinity : (pending.get(batch.partition) ?? 0)
        const messages = batch.messages.filter((m) => Number(m.offset) >= first && Number(m.offset) < end)
        await options.decoder?.prepare(topic, messages, {signal}).catch((error: Error) => {
          // Refused credentials: say so and stop, rather than retrying the batch for ever.
          if (error instanceof Unrecoverable) crash(error)
          throw error
        })
        const records = messages.map((m): TailRecord => {
          const record = fromKafka(topic, batch.partition, m)
          const decoded = options.decoder?.decode(record, m)
          if (!decoded) return {record}
          return decoded.ok ? {record: decoded.record} : {record, undecodable: decoded.reason}
        })
        if (records.length > 0) await options.onRecords(records)
      },
    })
    for (const s of starts) consumer.seek({topic, partition: s.partition, offset: String(s.offset)})
    await new Promise<void>((resolve, reject) => {
      if (signal.aborted) return resolve()
      signal.addEventListener('abort', () => resolve(), {once: true})
      finished.then(() => !options.follow && resolve(), reject)
    })
  } finally {
    await disconnectQuietly(consumer, 5_000)
  }
}

async function startOffsets(
  admin: Admin,
  topic: string,
  start: TailStart,
): Promise<Array<{partition: number; offset: number; end: number}>> {
  const ranges = await partitionRanges(admin, [topic])
  if ('last' in start)
    return ranges.map(({partition, low, high}) => ({partition, offset: Math.max(low, high - start.last), end: high}))
  const offsets = await offsetsFor(admin, ranges, start.from)
  return ranges.map(({partition, low, high}) => {
    const at = offsets.find((o) => o.partition === partition)?.offset ?? -1
    // No record at or after the time (the broker says -1): the end.
    return {partition, offset: at < 0 ? high : Math.max(low, at), end: high}
  })
}
