import type {Config, WireFormat} from '../config/schema.js'
import {FaError} from '../errors.js'
import {codecFor} from './codec.js'
import {isRegistryFormat} from './decoder.js'
import {RecordEncoder, registryError, type SubjectSchema, type TopicSchemas} from './encoder.js'
import {isOwnRole, sampleOf, shippedSchema, type OwnRole} from './own-schemas.js'
import {
  REGISTRY_TYPES,
  registryFromConfig,
  RegistryRefused,
  type RegisteredSchema,
  type RegistryClient,
} from './registry.js'

/**
 * How fa writes the records of its own (slack-messages from enrich, slack-responses from send):
 * JSON unless `formats:` pins the topic's role to a registry format. Pinned, each record is
 * written in the latest schema of its subject (`<topic>-value`, `<topic>-key` for a pinned key
 * format); a subject without one gets the schema fa ships (own-schemas.ts) registered. Everything
 * is settled before the run produces anything: a registry that refuses the schema, or a
 * registered schema that cannot carry fa's record, stops it with the reason.
 */
export async function ownOutputEncoder(
  config: Config,
  targets: Array<{role: string; topic: string}>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RecordEncoder | undefined> {
  const pinned = targets.filter(
    (t): t is {role: OwnRole; topic: string} =>
      isOwnRole(t.role) &&
      (isRegistryFormat(config.formats[t.role]?.value ?? 'auto') ||
        isRegistryFormat(config.formats[t.role]?.key ?? 'auto')),
  )
  if (pinned.length === 0) return undefined
  const registry = registryFromConfig(config, env)
  if (!registry) {
    throw new FaError(`formats: topic ${pinned[0]!.topic} needs a Schema Registry, and none is configured`, {
      hint: 'set schemaRegistry.url in the config or SCHEMA_REGISTRY_URL',
    })
  }
  const topics = new Map<string, TopicSchemas>()
  for (const {role, topic} of pinned) {
    const formats = config.formats[role]!
    const of = (part: 'key' | 'value', format: WireFormat) =>
      isRegistryFormat(format) ? ownSubject(registry, role, `${topic}-${part}`, part, format) : undefined
    topics.set(topic, {value: await of('value', formats.value), key: await of('key', formats.key)})
  }
  return new RecordEncoder(topics)
}

async function ownSubject(
  registry: RegistryClient,
  role: OwnRole,
  subject: string,
  part: 'key' | 'value',
  format: keyof typeof REGISTRY_TYPES,
): Promise<SubjectSchema> {
  let found: RegisteredSchema
  try {
    found = await registry.latest(subject)
  } catch (error) {
    if (!(error instanceof RegistryRefused && error.status === 404))
      throw registryError(error, `looking up subject ${subject}`)
    found = await registerShipped(registry, role, subject, part, format)
  }
  const codec = await codecFor(found)
  if (codec.format !== format) {
    throw new FaError(
      `subject ${subject}'s latest schema (id ${found.id}) is ${codec.format}, but its topic is pinned to ${format}`,
    )
  }
  try {
    codec.encode(sampleOf(role, part))
  } catch (error) {
    throw new FaError(
      `subject ${subject}'s latest schema (id ${found.id}) cannot carry the ${part}s fa writes: ` +
        (error as Error).message,
      {hint: 'nothing was produced; make the schema fit fa\'s records (README: "Topic formats") or delete the subject'},
    )
  }
  return {subject, id: found.id, codec}
}

async function registerShipped(
  registry: RegistryClient,
  role: OwnRole,
  subject: string,
  part: 'key' | 'value',
  format: keyof typeof REGISTRY_TYPES,
): Promise<RegisteredSchema> {
  const shipped = shippedSchema(role, part, REGISTRY_TYPES[format])
  if (!shipped) {
    throw new FaError(`Schema Registry has no subject ${subject}, and fa ships no ${format} schema for it`, {
      hint: `register a .proto under ${subject} first, or pin the topic to avro or json-schema`,
    })
  }
  try {
    return {...shipped, id: await registry.register(subject, shipped.type, shipped.schema)}
  } catch (error) {
    if (error instanceof RegistryRefused) {
      throw new FaError(`the Schema Registry refused fa's ${format} schema for ${subject}: ${error.message}`, {
        hint: 'nothing was produced',
      })
    }
    throw registryError(error, `registering fa's schema under ${subject}`)
  }
}
