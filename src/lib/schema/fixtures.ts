import type {Message} from 'kafkajs'

import {roleOf, type Config} from '../config/schema.js'
import {FixtureError, readFixtures} from '../fixtures/read.js'
import {toKafka} from '../kafka/codec.js'
import type {TopicRecord} from '../records/record.js'
import {encoderFromConfig, SchemaMismatch, type RecordEncoder} from './encoder.js'

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
    throw new FixtureError(record.origin.file, record.origin.line, `value for ${target} ${error.message}`, null)
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

/**
 * `fa replay --dry-run` with a registry configured: every fixture value must fit the latest
 * schema of its topic's subject (topics without a subject are not checked), so a fixture the
 * real topic could never carry fails in CI. A fixture topic named by `aliases` (its role, a
 * renamed default) is checked as the topic the config names. Returns the topics checked; none
 * without a registry.
 */
export async function checkFixtureSchemas(
  files: string[],
  config: Config,
  aliases: ReadonlyMap<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  if (!config.schemaRegistry.url) return []
  const route = (topic: string) => aliases.get(topic) ?? topic
  const topics = new Set<string>()
  for await (const batch of readFixtures(files)) for (const record of batch) topics.add(route(record.topic))
  const encoder = await encoderFromConfig(
    config,
    [...topics].map((topic) => ({topic, role: roleOf(config.topics, topic)})),
    env,
  )
  if (!encoder?.encodesAnything) return []
  await checkFixturesFit(files, route, encoder)
  return encoder.topicsWithSchemas
}
