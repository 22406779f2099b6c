import type {Config, WireFormat} from '../config/schema.js'
import {isRegistryFormat} from './decoder.js'
import {RecordEncoder, type TopicSchemas} from './encoder.js'
import {isOwnRole, sampleOf, shippedSchema} from './own-schemas.js'
import {pinnedSubject, type PinnedFallback} from './pinned-subject.js'
import {REGISTRY_TYPES, registryFromConfig, registryMissing, type RegistryFormat} from './registry.js'

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
  const pinned = pinnedOwnSubjects(config, targets)
  if (pinned.length === 0) return undefined
  const registry = registryFromConfig(config, env)
  if (!registry) {
    throw registryMissing(`formats: topic ${pinned[0]!.topic}`)
  }
  const topics = new Map<string, TopicSchemas>()
  for (const {topic, part, subject, format, fallback} of pinned) {
    const schemas = topics.get(topic) ?? {value: undefined, key: undefined}
    schemas[part] = await pinnedSubject(registry, subject, format, fallback)
    topics.set(topic, schemas)
  }
  return new RecordEncoder(topics)
}

/** A subject one of fa's own outputs is pinned to, and what fa needs of its schema. */
export interface PinnedOwnSubject {
  topic: string
  part: 'key' | 'value'
  subject: string
  format: RegistryFormat
  fallback: PinnedFallback
}

/** The subjects `formats:` pins fa's own outputs among `targets` to (TopicNameStrategy), once each. */
export function pinnedOwnSubjects(config: Config, targets: Array<{role: string; topic: string}>): PinnedOwnSubject[] {
  const out: PinnedOwnSubject[] = []
  const seen = new Set<string>()
  for (const {role, topic} of targets) {
    if (!isOwnRole(role) || seen.has(topic)) continue
    seen.add(topic)
    for (const part of ['value', 'key'] as const) {
      const format: WireFormat = config.formats[role]?.[part] ?? 'auto'
      if (!isRegistryFormat(format)) continue
      out.push({
        topic,
        part,
        subject: `${topic}-${part}`,
        format,
        fallback: {
          schema: shippedSchema(role, part, REGISTRY_TYPES[format]),
          sample: sampleOf(role, part),
          what: `the ${part}s fa writes`,
        },
      })
    }
  }
  return out
}
