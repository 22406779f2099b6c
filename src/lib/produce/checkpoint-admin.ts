import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {connectAdmin, createKafka, createProducer, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {requireTopics} from '../kafka/topics.js'
import type {Logger} from '../output/log.js'
import {parseTime, WHEN_EXPECTED} from '../when.js'
import {checkpointMessage, newCheckpoint, readCheckpoint, type Checkpoint} from './checkpoint.js'
import {acquireLock, produceLockFile} from './lock.js'

export interface CheckpointChange {
  producer: string
  topic: string
  /** The high-water mark before (null: none). */
  previous: string | null
  /** After (`show`: the same; `reset`: null). */
  current: string | null
  checkpoint?: Checkpoint
}

export type CheckpointAction = {kind: 'show'} | {kind: 'set'; until: Date} | {kind: 'reset'}

/** `--checkpoint KIND [TIME]` as an action: TIME with `set` only, and never in the future. */
export function checkpointAction(producer: string, kind: string, time: string | undefined): CheckpointAction {
  if ((kind === 'set') !== (time !== undefined))
    throw new FaError(kind === 'set' ? '--checkpoint set needs a TIME' : `--checkpoint ${kind} takes no TIME`, {
      hint: `e.g. \`fa produce ${producer} --checkpoint set 2026-01-31T00:00:00Z\``,
    })
  if (kind !== 'set') return {kind: kind as 'show' | 'reset'}
  const until = parseTime('--checkpoint set', time!, new Date(), WHEN_EXPECTED)
  if (until > new Date())
    throw new FaError(`--checkpoint set ${time}: that is in the future`, {
      hint: 'rows before it that arrive later would never be produced',
    })
  return {kind: 'set', until}
}

/**
 * `fa produce NAME --checkpoint show|set TIME|reset`: reads a producer's checkpoint, or replaces
 * it (a new high-water mark, or a tombstone: the next `--since checkpoint` run needs an explicit
 * --since again), under the producer's lock, so a run in progress cannot move it meanwhile.
 */
export async function manageCheckpoint(o: {
  config: Config
  producer: string
  action: CheckpointAction
  log?: Logger
  env?: NodeJS.ProcessEnv
}): Promise<CheckpointChange> {
  const {config, producer, action} = o
  const topic = config.topics.checkpoints
  const lock =
    action.kind === 'show'
      ? undefined
      : await acquireLock(produceLockFile(producer, config, o.env), `fa produce ${producer}`)
  const kafka = await createKafka(config, {log: o.log, env: o.env, clientIdSuffix: `checkpoint-${producer}`})
  const admin = await connectAdmin(kafka, config)
  const writer =
    action.kind === 'show' ? undefined : await createProducer(kafka, {idempotent: true, maxInFlightRequests: 1})
  try {
    await requireTopics(admin, config, [topic])
    const before = await readCheckpoint(kafka, admin, {topic, producer})
    const previous = before?.until ?? null
    if (action.kind === 'show') return {producer, topic, previous, current: previous, checkpoint: before}
    await writer!.connect()
    if (action.kind === 'reset') {
      await writer!.send({topic, acks: -1, messages: [{key: producer, value: null}]})
      return {producer, topic, previous, current: null}
    }
    const until = action.until.toISOString()
    const checkpoint = newCheckpoint({producer, until, since: until, jobId: null, rows: 0, events: 0, deadLetters: 0})
    await writer!.send({topic, acks: -1, messages: [checkpointMessage(checkpoint)]})
    return {producer, topic, previous, current: until, checkpoint}
  } catch (error) {
    throw error instanceof FaError ? error : kafkaError(error, config, `updating the checkpoint in ${topic}`)
  } finally {
    await disconnectQuietly(writer, 3_000)
    await disconnectQuietly(admin, 3_000)
    await lock?.release()
  }
}
