import {randomUUID} from 'node:crypto'
import os from 'node:os'

import type {Admin, Kafka, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import {disconnectQuietly, withTimeout} from '../kafka/client.js'

/**
 * A producer's high-water mark, the value of its record in the compacted checkpoints topic
 * (key: the producer's name): every row before `until` has been produced and acknowledged.
 */
export interface Checkpoint {
  producer: string
  /** The high-water mark: the next `--since checkpoint` run starts here. */
  until: string
  /** The window of the run that wrote it. */
  since: string
  jobId: string | null
  rows: number
  events: number
  deadLetters: number
  committedAt: string
  host: string
}

/** The checkpoint record of `checkpoint` (key: the producer name, value: JSON). */
export function checkpointMessage(checkpoint: Checkpoint): Message {
  return {key: checkpoint.producer, value: JSON.stringify(checkpoint), headers: {'fa-producer': checkpoint.producer}}
}

export function newCheckpoint(fields: Omit<Checkpoint, 'committedAt' | 'host'>): Checkpoint {
  return {...fields, committedAt: new Date().toISOString(), host: os.hostname()}
}

/**
 * Reads the latest checkpoint of `producer` from the compacted `topic`: the topic is read to
 * the end offsets it had at the start (kafkajs has no assign(): a throwaway group, from the
 * beginning, no commits). A partition is done once a batch reaches its end offset (compaction
 * and transaction markers leave gaps, so no particular offset is waited for); empty partitions
 * are skipped, and an empty topic needs no consumer at all. A tombstone removes the checkpoint.
 */
export async function readCheckpoint(
  kafka: Kafka,
  admin: Admin,
  options: {topic: string; producer: string; timeoutMs?: number},
): Promise<Checkpoint | undefined> {
  const {topic, producer} = options
  const targets = new Map<number, bigint>()
  for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
    if (BigInt(high) > BigInt(low)) targets.set(partition, BigInt(high))
  }
  if (targets.size === 0) return undefined

  const consumer = kafka.consumer({
    groupId: `fa-checkpoint-reader-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: {retries: 3},
  })
  let latest: {offset: bigint; value: Buffer | null} | undefined
  const done = new Set<number>()
  let finish!: () => void
  let fail!: (error: unknown) => void
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  const reached = (partition: number, lastOffset: string) => {
    const target = targets.get(partition)
    if (target !== undefined && BigInt(lastOffset) + 1n >= target) done.add(partition)
    if (done.size >= targets.size) finish()
  }
  // Batches of only control records or compacted-away messages skip eachBatch, but not this event.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({payload}) => {
    if (payload.topic === topic && payload.lastOffset !== null) reached(payload.partition, String(payload.lastOffset))
  })
  consumer.on(consumer.events.CRASH, ({payload}) => {
    if (!payload.restart) fail(payload.error)
  })

  const timeoutMs = options.timeoutMs ?? 30_000
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({topics: [topic], fromBeginning: true})
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({batch}) => {
        for (const message of batch.messages) {
          if (message.key?.toString('utf8') !== producer) continue
          const offset = BigInt(message.offset)
          // One key lives in one partition; the highest offset is the latest value.
          if (!latest || offset > latest.offset) latest = {offset, value: message.value}
        }
        reached(batch.partition, batch.lastOffset())
      },
    })
    await Promise.race([
      finished,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic} to its end took more than ${timeoutMs / 1000} s`)), timeoutMs)
      }),
    ])
  } finally {
    clearTimeout(timer)
    // Outside eachBatch and after run() resolved: kafkajs' disconnect is safe here, and bounded.
    await withTimeout(consumer.stop(), 5_000)
    await disconnectQuietly(consumer)
  }
  if (!latest?.value) return undefined
  return parseCheckpoint(latest.value, topic, producer)
}

/** The checkpoint record is not one fa wrote; a run with an explicit --since replaces it. */
export class InvalidCheckpointError extends FaError {
  constructor(message: string) {
    super(message, {exit: 'kafka', hint: 'run once with an explicit --since to write a new one'})
  }
}

function parseCheckpoint(value: Buffer, topic: string, producer: string): Checkpoint {
  let parsed: Partial<Checkpoint>
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch {
    parsed = {}
  }
  if (typeof parsed.until !== 'string' || Number.isNaN(Date.parse(parsed.until))) {
    throw new InvalidCheckpointError(`the checkpoint of producer "${producer}" in ${topic} is not valid: ${value.toString('utf8').slice(0, 200)}`)
  }
  return parsed as Checkpoint
}
