import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {kafkaError} from '../kafka/connection.js'

/**
 * What a failed produce of fixture records says, `progress` being how far it got: a refused
 * timestamp or a batch too large is not a connection or credentials problem, whose hint
 * kafkaError would give.
 */
export function produceError(error: unknown, config: Config, progress: string): Error {
  if (hasErrorType(error, 'INVALID_TIMESTAMP')) {
    return new FaError(`Kafka rejected a record's timestamp (${progress} were produced)`, {
      exit: 'kafka',
      hint:
        'brokers refuse timestamps too far in the future (Kafka 4: more than 1 hour, ' +
        'log.message.timestamp.after.max.ms) or past; --timestamps now produces with the current time',
      cause: error,
    })
  }
  if (hasErrorType(error, 'MESSAGE_TOO_LARGE')) {
    return new FaError(`Kafka refused a batch of records as too large (${progress} were produced)`, {
      exit: 'kafka',
      hint: "the topic's max.message.bytes (or the broker's message.max.bytes) is below what fa replay measured",
      cause: error,
    })
  }
  return kafkaError(error, config, `producing (${progress})`)
}

/** A kafkajs error (or one it wraps) of protocol error type `type`, e.g. INVALID_TIMESTAMP. */
function hasErrorType(error: unknown, type: string): boolean {
  for (
    let e = error as {type?: unknown; cause?: unknown; originalError?: unknown} | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.type === type) return true
    e = (e.cause ?? e.originalError) as typeof e
  }
  return false
}
