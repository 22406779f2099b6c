import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {EventResult, ProducedEvent, Producer} from '../produce/producer.js'
import {codecFor} from './codec.js'
import {isRegistryFormat} from './decoder.js'
import {latestOf, RecordEncoder, registryError, SchemaMismatch, type SubjectSchema} from './encoder.js'
import {stringSchema} from './own-schemas.js'
import {pinnedSubject} from './pinned-subject.js'
import {
  REGISTRY_TYPES,
  registryFromConfig,
  registryMissing,
  RegistryRefused,
  type RegisteredSchema,
  type RegistryClient,
} from './registry.js'

/**
 * How `fa produce` writes its events to `topic`: values in the producer's declared schema
 * (registered under `<topic>-value` first: a registry that refuses it, e.g. as incompatible, stops
 * the run before anything is produced, with its message), else in the latest schema of the
 * topic's subject, else as JSON. Keys, when `formats:` pins the topic's key format, in the latest
 * schema of `<topic>-key` (a string schema registered when it has none). Undefined: all JSON.
 */
export async function producerEncoder(
  config: Config,
  producer: Producer,
  topic: string,
  env: NodeJS.ProcessEnv,
): Promise<RecordEncoder | undefined> {
  const formats = config.formats[producer.topic] ?? {key: 'auto', value: 'auto'}
  const registry = registryFromConfig(config, env)
  const needs = producer.schema
    ? `producer "${producer.name}"'s ${producer.schema.type} schema`
    : isRegistryFormat(formats.key)
      ? `formats: the ${formats.key} key of topic ${topic}`
      : undefined
  if (!registry) {
    if (!needs) return undefined
    throw registryMissing(needs)
  }
  const value = producer.schema
    ? await declaredSchema(registry, producer, `${topic}-value`)
    : await latestOf(registry, `${topic}-value`, formats.value)
  const key = isRegistryFormat(formats.key)
    ? await pinnedSubject(registry, `${topic}-key`, formats.key, {
        schema: stringSchema(REGISTRY_TYPES[formats.key]),
        sample: 'key',
        what: `producer "${producer.name}"'s keys (strings)`,
      })
    : undefined
  return new RecordEncoder(new Map([[topic, {value, key}]]))
}

/** The producer's declared schema, registered under `subject`. */
async function declaredSchema(registry: RegistryClient, producer: Producer, subject: string): Promise<SubjectSchema> {
  const declared = producer.schema!
  const schema: RegisteredSchema = {
    id: 0,
    type: REGISTRY_TYPES[declared.type],
    schema: await schemaText(producer.name, declared.schema),
  }
  let id: number
  try {
    id = await registry.register(subject, schema.type, schema.schema)
  } catch (error) {
    if (error instanceof RegistryRefused) {
      throw new FaError(
        `the Schema Registry refused producer "${producer.name}"'s schema for ${subject}: ${error.message}`,
        {
          hint: "nothing was produced; make the schema compatible with the subject's earlier versions",
        },
      )
    }
    throw registryError(error, `registering producer "${producer.name}"'s schema under ${subject}`)
  }
  return {subject, id, codec: await codecFor({...schema, id})}
}

async function schemaText(name: string, schema: string | URL | object): Promise<string> {
  if (schema instanceof URL) {
    const file = fileURLToPath(schema)
    try {
      return await readFile(file, 'utf8')
    } catch (error) {
      throw new FaError(`producer "${name}": cannot read its schema ${file}: ${(error as NodeJS.ErrnoException).code}`)
    }
  }
  return typeof schema === 'string' ? schema : JSON.stringify(schema)
}

/** A row's event with its key and value in the topic's schemas; one they cannot carry becomes a dead letter's reason. */
export function encodedEvent(
  result: EventResult,
  topic: string,
  encoder: RecordEncoder | undefined,
): {ok: true; event: ProducedEvent; bytes?: Buffer; keyBytes?: Buffer} | {ok: false; reason: string} {
  if (!result.ok || !encoder) return result
  try {
    const bytes = encoder.value(topic, result.event.value)
    const key = encoder.key(topic, result.event.key)
    return {
      ...result,
      ...(Buffer.isBuffer(bytes) ? {bytes} : {}),
      ...(Buffer.isBuffer(key) ? {keyBytes: key} : {}),
    }
  } catch (error) {
    if (!(error instanceof SchemaMismatch)) throw error
    return {ok: false, reason: `event ${error.message}`}
  }
}
