import type {Config, WireFormat} from '../config/schema.js'
import {isRegistryFormat} from './decoder.js'
import {RecordEncoder, type TopicSchemas} from './encoder.js'
import {isOwnRole, sampleOf, shippedSchema, type OwnRole} from './own-schemas.js'
import {pinnedSubject} from './pinned-subject.js'
import {REGISTRY_TYPES, registryFromConfig, registryMissing} from './registry.js'

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
    throw registryMissing(`formats: topic ${pinned[0]!.topic}`)
  }
  const topics = new Map<string, TopicSchemas>()
  for (const {role, topic} of pinned) {
    if (topics.has(topic)) continue
    const formats = config.formats[role]!
    const of = (part: 'key' | 'value', format: WireFormat) =>
      isRegistryFormat(format)
        ? pinnedSubject(registry, `${topic}-${part}`, format, {
            schema: shippedSchema(role, part, REGISTRY_TYPES[format]),
            sample: sampleOf(role, part),
            what: `the ${part}s fa writes`,
          })
        : undefined
    topics.set(topic, {value: await of('value', formats.value), key: await of('key', formats.key)})
  }
  return new RecordEncoder(topics)
}
