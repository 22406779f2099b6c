import type {Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {connectAdmin, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {requireTopics} from '../kafka/topics.js'
import type {Logger} from '../output/log.js'
import {InvalidCheckpointError, readCheckpoint, type Checkpoint} from './checkpoint.js'
import {InterruptedError} from './outcome.js'

export interface PreviousCheckpointOptions {
  producer: string
  /** The topics the run needs; a missing one stops it before anything is queried. */
  needed: string[]
  checkpointTopic: string
  /** `--since` names a time: the window does not depend on the checkpoint. */
  explicitSince: boolean
  signal?: AbortSignal
  log: Logger
}

/** A run's first look at Kafka: its topics exist, and where the producer's checkpoint stands. */
export async function previousCheckpoint(
  kafka: Kafka,
  config: Config,
  options: PreviousCheckpointOptions,
): Promise<Checkpoint | undefined> {
  const {checkpointTopic} = options
  const admin = await connectAdmin(kafka, config, options.signal).catch((error: unknown) => {
    throw options.signal?.aborted ? new InterruptedError() : error
  })
  try {
    await requireTopics(admin, config, options.needed, 'nothing was queried or produced')
    return await readCheckpoint(kafka, admin, {topic: checkpointTopic, producer: options.producer}).catch(
      (error: unknown) => {
        // An explicit window does not depend on it; it replaces it.
        if (error instanceof InvalidCheckpointError && options.explicitSince) {
          options.log.warn(error.message)
          return undefined
        }
        throw error instanceof FaError
          ? error
          : kafkaError(error, config, `reading the checkpoint from ${checkpointTopic}`)
      },
    )
  } finally {
    await disconnectQuietly(admin)
  }
}
