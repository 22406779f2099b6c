import {randomUUID} from 'node:crypto'
import os from 'node:os'

import type {Admin, Kafka, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import {readToEnd} from '../kafka/follow.js'
import {ProduceHeader} from './headers.js'

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
  return {
    key: checkpoint.producer,
    value: JSON.stringify(checkpoint),
    headers: {[ProduceHeader.producer]: checkpoint.producer},
  }
}

export function newCheckpoint(fields: Omit<Checkpoint, 'committedAt' | 'host'>): Checkpoint {
  return {...fields, committedAt: new Date().toISOString(), host: os.hostname()}
}

/**
 * Reads the latest checkpoint of `producer` from the compacted `topic`: the topic is read to
 * the end offsets it had at the start (`readToEnd`: a throwaway group, from the beginning, no
 * commits; a partition is done once a batch reaches its end offset, empty partitions are
 * skipped, and an empty topic needs no consumer at all). A tombstone removes the checkpoint.
 */
export async function readCheckpoint(
  kafka: Kafka,
  admin: Admin,
  options: {topic: string; producer: string; timeoutMs?: number},
): Promise<Checkpoint | undefined> {
  const {topic, producer} = options
  let latest: {offset: bigint; value: Buffer | null} | undefined
  const timeoutMs = options.timeoutMs ?? 30_000
  const timeout = new AbortController()
  const timer = setTimeout(
    () => timeout.abort(new Error(`reading ${topic} to its end took more than ${timeoutMs / 1000} s`)),
    timeoutMs,
  )
  try {
    await readToEnd(
      {
        kafka,
        admin,
        topics: [topic],
        groupId: `fa-checkpoint-reader-${randomUUID()}`,
        onMessages: (_topic, _partition, messages) => {
          for (const message of messages) {
            if (message.key?.toString('utf8') !== producer) continue
            const offset = BigInt(message.offset)
            // One key lives in one partition; the highest offset is the latest value.
            if (!latest || offset > latest.offset) latest = {offset, value: message.value}
          }
        },
        consumer: {maxWaitTimeInMs: 100},
        // No compacted-tail rule here: the timeout decides.
        stallMs: Number.POSITIVE_INFINITY,
      },
      timeout.signal,
    )
  } finally {
    clearTimeout(timer)
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

/** A checkpoint record's value; throws InvalidCheckpointError when it is not one fa wrote. */
export function parseCheckpoint(value: Buffer, topic: string, producer: string): Checkpoint {
  let parsed: Partial<Checkpoint>
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch {
    parsed = {}
  }
  if (typeof parsed.until !== 'string' || Number.isNaN(Date.parse(parsed.until))) {
    throw new InvalidCheckpointError(
      `the checkpoint of producer "${producer}" in ${topic} is not valid: ${value.toString('utf8').slice(0, 200)}`,
    )
  }
  return parsed as Checkpoint
}
