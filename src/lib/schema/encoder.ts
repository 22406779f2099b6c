import type {Config, TopicFormats, WireFormat} from '../config/schema.js'
import {FaError} from '../errors.js'
import {isRawPayload, type Payload} from '../records/record.js'
import {codecFor, frame, type SchemaCodec} from './codec.js'
import {registryFromConfig, RegistryRefused, RegistryUnavailable, type RegistryClient} from './registry.js'

/** One subject's schema, ready to encode: its id and codec. */
export interface SubjectSchema {
  subject: string
  id: number
  codec: SchemaCodec
}

/** How values (and keys) of one topic are written: by its subject's schema, or as JSON when it has none. */
export interface TopicSchemas {
  value?: SubjectSchema
  key?: SubjectSchema
}

/**
 * The writing side of the Schema Registry formats (TopicNameStrategy: `<topic>-value`, and
 * `<topic>-key` when the key's format is pinned): a JSON value becomes the wire format of its
 * topic subject's latest schema. Topics whose subject does not exist are written as JSON,
 * unless their format is pinned. Raw string values and tombstones are written as they are.
 */
export class RecordEncoder {
  constructor(private readonly topics: ReadonlyMap<string, TopicSchemas>) {}

  /** Looks the latest schema of each target topic's subjects up once. */
  static async forTopics(
    registry: RegistryClient,
    targets: Iterable<{topic: string; formats: TopicFormats}>,
  ): Promise<RecordEncoder> {
    const topics = new Map<string, TopicSchemas>()
    for (const {topic, formats} of targets) {
      topics.set(topic, {
        value: await latestOf(registry, `${topic}-value`, formats.value),
        key:
          formats.key === 'auto' || formats.key === 'json'
            ? undefined
            : await latestOf(registry, `${topic}-key`, formats.key),
      })
    }
    return new RecordEncoder(topics)
  }

  /** Whether any topic is written through a schema (else the encoder changes nothing). */
  get encodesAnything(): boolean {
    return this.topicsWithSchemas.length > 0
  }

  get topicsWithSchemas(): string[] {
    return [...this.topics].filter(([, t]) => t.value || t.key).map(([topic]) => topic)
  }

  /** The value's bytes for `topic`; throws (naming the subject and field) when it does not fit the schema. */
  value(topic: string, value: Payload): Payload | Buffer {
    const schema = this.topics.get(topic)?.value
    if (!schema || value === null || isRawPayload(value)) return value
    return encodeWith(schema, value)
  }

  key(topic: string, key: string | null): string | Buffer | null {
    const schema = this.topics.get(topic)?.key
    return schema && key !== null ? encodeWith(schema, key) : key
  }
}

function encodeWith(schema: SubjectSchema, value: unknown): Buffer {
  try {
    return frame(schema.id, schema.codec.encode(value))
  } catch (error) {
    throw new SchemaMismatch(`${(error as Error).message} (subject ${schema.subject}, schema id ${schema.id})`)
  }
}

/** A value that its topic's schema cannot carry; the caller adds FILE:LINE. */
export class SchemaMismatch extends Error {
  override name = 'SchemaMismatch'
}

export async function latestOf(
  registry: RegistryClient,
  subject: string,
  format: WireFormat,
): Promise<SubjectSchema | undefined> {
  let found
  try {
    found = await registry.latest(subject)
  } catch (error) {
    if (error instanceof RegistryRefused && error.status === 404) {
      if (format === 'auto' || format === 'json') return undefined
      throw new FaError(`Schema Registry has no subject ${subject}, and its topic is pinned to ${format}`, {
        hint: 'register the schema first (or unpin the topic in formats:)',
      })
    }
    throw registryError(error, `looking up subject ${subject}`)
  }
  const codec = await codecFor(found)
  if (format === 'json') return undefined
  if (format !== 'auto' && codec.format !== format) {
    throw new FaError(
      `subject ${subject}'s latest schema (id ${found.id}) is ${codec.format}, but its topic is pinned to ${format}`,
    )
  }
  return {subject, id: found.id, codec}
}

/** A registry failure while writing is the run's failure: one line saying what failed. */
export function registryError(error: unknown, what: string): Error {
  if (error instanceof FaError) return error
  if (error instanceof RegistryUnavailable) {
    return new FaError(`${what}: ${error.message}`, {
      exit: 'kafka',
      hint: 'check schemaRegistry.url / SCHEMA_REGISTRY_URL',
      cause: error,
    })
  }
  return new FaError(`${what}: the Schema Registry said: ${(error as Error).message}`, {exit: 'kafka', cause: error})
}

/** The encoder for writing to `targets`, or undefined when no registry is configured. */
export async function encoderFromConfig(
  config: Config,
  targets: Array<{topic: string; role?: string}>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RecordEncoder | undefined> {
  const registry = registryFromConfig(config, env)
  if (!registry) return undefined
  const formatOf = (role: string | undefined): TopicFormats =>
    (role ? config.formats[role] : undefined) ?? {key: 'auto', value: 'auto'}
  return RecordEncoder.forTopics(
    registry,
    targets.map(({topic, role}) => ({topic, formats: formatOf(role)})),
  )
}
