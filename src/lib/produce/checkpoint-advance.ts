import type {Producer as KafkaProducer} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {kafkaError} from '../kafka/connection.js'
import {checkpointMessage, newCheckpoint, type Checkpoint} from './checkpoint.js'
import {checkpointDecision} from './outcome.js'
import type {CheckpointOutcome} from './summary.js'
import type {Window} from './window.js'

export interface AdvanceOptions {
  /** The run's producer, connected. */
  sender: KafkaProducer
  config: Config
  /** The checkpoints topic. */
  topic: string
  /** The high-water mark before the run (null: none yet). */
  previous: string | null
  window: Window
  /** What the run did, for the checkpoint record. */
  run: Pick<Checkpoint, 'producer' | 'jobId' | 'rows' | 'events' | 'deadLetters'>
  /** Records produced, for the message if the write fails. */
  produced: number
}

/**
 * Once every event is acknowledged: moves the checkpoint to the window's end, unless
 * checkpointDecision says it must stay, and tells where it stands.
 */
export async function advanceCheckpoint(options: AdvanceOptions): Promise<CheckpointOutcome> {
  const {sender, config, topic, previous, window} = options
  const decision = checkpointDecision(previous, window)
  if (decision.advance) {
    const {producer, ...common} = options.run
    const checkpoint = newCheckpoint({
      producer,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      ...common,
    })
    try {
      await sender.send({topic, messages: [checkpointMessage(checkpoint)], acks: -1})
    } catch (error) {
      throw kafkaError(
        error,
        config,
        `writing the checkpoint to ${topic} (${options.produced === 1 ? 'the record was' : `all ${options.produced} records were`} produced)`,
      )
    }
  }
  return {
    topic,
    previous,
    current: decision.advance ? window.until.toISOString() : previous,
    advanced: decision.advance,
    ...(decision.note ? {note: decision.note} : {}),
  }
}
