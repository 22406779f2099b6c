import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {EventResult, ProducedEvent, Producer} from '../produce/producer.js'
import {encoderFromConfig, RecordEncoder, registryError, SchemaMismatch} from './encoder.js'
import {REGISTRY_TYPES, registryFromConfig, RegistryRefused, type RegisteredSchema} from './registry.js'

/**
 * How `fa produce` writes its events to `topic`: in the producer's declared schema (registered
 * under `<topic>-value` first: a registry that refuses it, e.g. as incompatible, stops the run
 * before anything is produced, with its message), else in the latest schema of the topic's
 * subject, else (undefined) as JSON.
 */
export async function producerEncoder(
  config: Config,
  producer: Producer,
  topic: string,
  env: NodeJS.ProcessEnv,
): Promise<RecordEncoder | undefined> {
  const declared = producer.schema
  if (!declared) return encoderFromConfig(config, [{topic, role: producer.topic}], env)
  const registry = registryFromConfig(config, env)
  if (!registry) {
    throw new FaError(
      `producer "${producer.name}" declares a ${declared.type} schema, and no Schema Registry is configured`,
      {
        hint: 'set schemaRegistry.url in the config or SCHEMA_REGISTRY_URL',
      },
    )
  }
  const schema: RegisteredSchema = {
    id: 0,
    type: REGISTRY_TYPES[declared.type],
    schema: await schemaText(producer.name, declared.schema),
  }
  const subject = `${topic}-value`
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
  return RecordEncoder.forSchema(topic, id, {...schema, id})
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

/** A row's event with its value in the topic's schema; one the schema cannot carry becomes a dead letter's reason. */
export function encodedEvent(
  result: EventResult,
  topic: string,
  encoder: RecordEncoder | undefined,
): {ok: true; event: ProducedEvent; bytes?: Buffer} | {ok: false; reason: string} {
  if (!result.ok || !encoder) return result
  try {
    const bytes = encoder.value(topic, result.event.value)
    return Buffer.isBuffer(bytes) ? {...result, bytes} : result
  } catch (error) {
    if (!(error instanceof SchemaMismatch)) throw error
    return {ok: false, reason: `event ${error.message}`}
  }
}
