import {FaError} from '../errors.js'
import {codecFor} from './codec.js'
import {registryError, type SubjectSchema} from './encoder.js'
import {RegistryRefused, type RegisteredSchema, type RegistryClient, type RegistryFormat} from './registry.js'

/** For a subject fa writes to: the schema to register when it has none, and a record every schema must carry. */
export interface PinnedFallback {
  /** Undefined: fa has none for this format (the subject must be registered first). */
  schema: Omit<RegisteredSchema, 'id'> | undefined
  sample: unknown
  /** Names the records in errors: "the values fa writes". */
  what: string
}

/**
 * The schema a topic pinned to `format` is written in: the subject's latest, or, when it has none,
 * `fallback.schema` registered now. Settled before anything is produced: a registry that refuses
 * the schema, a schema of another format, or one that cannot carry `fallback.sample` is a FaError.
 */
export async function pinnedSubject(
  registry: RegistryClient,
  subject: string,
  format: RegistryFormat,
  fallback: PinnedFallback,
): Promise<SubjectSchema> {
  const found =
    (await registeredSchema(registry, subject)) ?? (await register(registry, subject, format, fallback.schema))
  return usableSchema(found, subject, format, fallback)
}

/** The latest schema of `subject`, undefined when it has none. */
export async function registeredSchema(
  registry: RegistryClient,
  subject: string,
): Promise<RegisteredSchema | undefined> {
  try {
    return await registry.latest(subject)
  } catch (error) {
    if (error instanceof RegistryRefused && error.status === 404) return undefined
    throw registryError(error, `looking up subject ${subject}`)
  }
}

/** `found` as the schema fa writes `subject` in; a FaError when it is of another format or cannot carry fa's record. */
export async function usableSchema(
  found: RegisteredSchema,
  subject: string,
  format: RegistryFormat,
  fallback: PinnedFallback,
): Promise<SubjectSchema> {
  const codec = await codecFor(found)
  if (codec.format !== format) {
    throw new FaError(
      `subject ${subject}'s latest schema (id ${found.id}) is ${codec.format}, but its topic is pinned to ${format}`,
    )
  }
  try {
    codec.encode(fallback.sample)
  } catch (error) {
    throw new FaError(
      `subject ${subject}'s latest schema (id ${found.id}) cannot carry ${fallback.what}: ${(error as Error).message}`,
      {hint: 'nothing was produced; make the schema fit (README: "Topic formats") or delete the subject'},
    )
  }
  return {subject, id: found.id, codec}
}

async function register(
  registry: RegistryClient,
  subject: string,
  format: RegistryFormat,
  schema: Omit<RegisteredSchema, 'id'> | undefined,
): Promise<RegisteredSchema> {
  if (!schema) throw unshipped(subject, format)
  try {
    return {...schema, id: await registry.register(subject, schema.type, schema.schema)}
  } catch (error) {
    if (error instanceof RegistryRefused) {
      throw new FaError(`the Schema Registry refused fa's ${format} schema for ${subject}: ${error.message}`, {
        hint: 'nothing was produced',
      })
    }
    throw registryError(error, `registering fa's schema under ${subject}`)
  }
}

/** A subject with no schema, in a format fa ships none for (Protobuf). */
export function unshipped(subject: string, format: RegistryFormat): FaError {
  return new FaError(`Schema Registry has no subject ${subject}, and fa ships no ${format} schema for it`, {
    hint: `register a .proto under ${subject} first, or pin the topic to avro or json-schema`,
  })
}
