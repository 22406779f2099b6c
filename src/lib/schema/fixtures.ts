import type {Message} from 'kafkajs'

import {FixtureError, readFixtures} from '../fixtures/read.js'
import {toKafka} from '../kafka/codec.js'
import type {TopicRecord} from '../records/record.js'
import {SchemaMismatch, type RecordEncoder} from './encoder.js'

/**
 * A fixture record as the kafkajs message for `target`, its key and value in the target's
 * schema; a value the schema cannot carry is a FixtureError naming FILE:LINE and the field.
 */
export function encodedMessage(record: TopicRecord, target: string, encoder: RecordEncoder): Message {
  const message = toKafka(record)
  try {
    const value = encoder.value(target, record.value)
    if (Buffer.isBuffer(value)) message.value = value
    message.key = encoder.key(target, record.key)
  } catch (error) {
    if (!(error instanceof SchemaMismatch) || record.origin.kind !== 'fixture') throw error
    throw new FixtureError(record.origin.file, record.origin.line, `value for ${target} ${error.message}`)
  }
  return message
}

/** Encodes every record of the files once, so a value that does not fit fails the run before anything is produced. */
export async function checkFixturesFit(
  files: string[],
  route: (topic: string) => string,
  encoder: RecordEncoder,
): Promise<void> {
  for await (const batch of readFixtures(files)) {
    for (const record of batch) encodedMessage(record, route(record.topic), encoder)
  }
}
