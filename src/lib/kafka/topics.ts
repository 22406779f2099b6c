import type {Admin, ITopicConfig} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {Topology} from '../pipeline/topology.js'
import {loadKafkaJs} from './client.js'
import {kafkaError} from './connection.js'
import {partitionCounts, repartitionSpecs} from './repartition-topics.js'

export type TopicRole =
  'source' | 'table' | 'sink' | 'dead-letters' | 'slack-responses' | 'checkpoints' | 'state' | 'repartition'

/** A topic the pipelines use, and what for. Tables, responses and checkpoints are compacted. */
export interface TopicSpec {
  topic: string
  roles: TopicRole[]
  compacted: boolean
  /** Created with as many partitions as this topic has (a repartition topic's source), not the option's. */
  partitionsOf?: string
  configEntries?: Array<{name: string; value: string}>
}

export interface TopicOptions {
  /** Partitions of topics that are created (existing ones are left alone). */
  partitions: number
  replicationFactor: number
  /** Only report what would be created. */
  dryRun?: boolean
}

export interface TopicState {
  topic: string
  roles: TopicRole[]
  /** What the topic is (existing) or will be (created). */
  partitions: number
  replicationFactor: number
  cleanupPolicy: string
}

export interface EnsureTopicsResult {
  created: TopicState[]
  existing: TopicState[]
  /** Existing topics that differ from what fa would create, e.g. a table topic that is not compacted. */
  warnings: string[]
}

const COMPACTED: ReadonlySet<TopicRole> = new Set(['table', 'slack-responses', 'checkpoints', 'state'])

/**
 * The topics a config's pipelines use: every alert type's source and sink, every joined
 * table, the dead letters, Slack responses and checkpoints (the last three from `topics:`), the
 * state changelog and the repartition topics of `group` (default enrich.group) for stateful ones.
 */
export function pipelineTopics(
  topology: Topology,
  config: Pick<Config, 'topics' | 'enrich'>,
  group = config.enrich.group,
): TopicSpec[] {
  const specs = new Map<string, TopicSpec>()
  const add = (topic: string, role: TopicRole) => {
    const spec = specs.get(topic) ?? {topic, roles: [], compacted: false}
    if (!spec.roles.includes(role)) spec.roles.push(role)
    spec.compacted ||= COMPACTED.has(role)
    specs.set(topic, spec)
  }
  for (const topic of topology.sourceTopics) add(topic, 'source')
  for (const {topic} of topology.tableTopics) add(topic, 'table')
  for (const alert of topology.alertTypes) add(topology.topic(alert.sink), 'sink')
  add(config.topics.slackMessages ?? topology.topic('slackMessages'), 'sink')
  add(topology.deadLetterTopic, 'dead-letters')
  add(config.topics.slackResponses ?? topology.topic('slackResponses'), 'slack-responses')
  add(config.topics.checkpoints ?? topology.topic('checkpoints'), 'checkpoints')
  if (topology.statefulTopics.length > 0) add(topology.topic('state'), 'state')
  for (const spec of repartitionSpecs(topology, group)) specs.set(spec.topic, spec)
  return [...specs.values()]
}

/**
 * Creates the topics that do not exist yet; existing ones are reported (with their partitions,
 * replication and cleanup policy), never changed and never an error. Safe to run concurrently
 * with another `ensureTopics`: a topic created in between counts as existing.
 *
 * `topics` is a list of specs, or a topology and config to take them from (`pipelineTopics`).
 */
export async function ensureTopics(
  admin: Admin,
  topics: TopicSpec[] | {topology: Topology; config: Config; group?: string},
  options: TopicOptions,
): Promise<EnsureTopicsResult> {
  const specs = Array.isArray(topics) ? topics : pipelineTopics(topics.topology, topics.config, topics.group)
  const before = new Set(await admin.listTopics())
  const missing = specs.filter((spec) => !before.has(spec.topic))
  const partitionsOf = await partitionCounts(admin, specs, options.partitions, before)
  let createdNames = new Set<string>()
  if (missing.length > 0 && !options.dryRun) {
    const request: ITopicConfig[] = missing.map((spec) => ({
      topic: spec.topic,
      numPartitions: partitionsOf(spec),
      replicationFactor: options.replicationFactor,
      configEntries: [
        ...(spec.compacted ? [{name: 'cleanup.policy', value: 'compact'}] : []),
        ...(spec.configEntries ?? []),
      ],
    }))
    try {
      // kafkajs' waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
      // answers until the new topic reaches its metadata: wait with waitForTopics instead.
      await admin.createTopics({topics: request, waitForLeaders: false})
    } catch (error) {
      // Another process may have created some of them meanwhile; anything else is a real failure.
      const now = new Set(await admin.listTopics())
      const failed = missing.filter((spec) => !now.has(spec.topic))
      if (failed.length > 0) throw await creationError(admin, error, failed, options)
    }
    await waitForTopics(
      admin,
      missing.map((spec) => spec.topic),
    )
    createdNames = new Set(missing.map((spec) => spec.topic))
  } else if (options.dryRun) {
    createdNames = new Set(missing.map((spec) => spec.topic))
  }

  const existingSpecs = specs.filter((spec) => before.has(spec.topic))
  const described = await describeTopics(
    admin,
    existingSpecs.map((spec) => spec.topic),
  )
  const warnings: string[] = []
  const existing = existingSpecs.map((spec): TopicState => {
    const info = described.get(spec.topic) ?? {partitions: 0, replicationFactor: 0, cleanupPolicy: 'unknown'}
    const compacted = info.cleanupPolicy.split(',').includes('compact')
    if (spec.compacted && !compacted) {
      warnings.push(
        `${spec.topic} (${spec.roles.join(', ')}) has cleanup.policy=${info.cleanupPolicy}; it ` +
          `should be compacted, or old rows are lost after retention`,
      )
    } else if (!spec.compacted && compacted) {
      warnings.push(
        `${spec.topic} (${spec.roles.join(', ')}) has cleanup.policy=${info.cleanupPolicy}; fa ` +
          `would create it with delete: compaction keeps only the last record of each key`,
      )
    }
    const expected = partitionsOf(spec)
    if (info.partitions !== expected && info.partitions > 0) {
      warnings.push(
        `${spec.topic} has ${info.partitions} partition${info.partitions === 1 ? '' : 's'}, not the ` +
          `${expected} ${spec.partitionsOf ? `of ${spec.partitionsOf}` : 'asked for'} (existing topics are left as they are)`,
      )
    }
    return {topic: spec.topic, roles: spec.roles, ...info}
  })
  const created = specs
    .filter((spec) => createdNames.has(spec.topic))
    .map((spec): TopicState => ({
      topic: spec.topic,
      roles: spec.roles,
      partitions: partitionsOf(spec),
      replicationFactor: options.replicationFactor,
      cleanupPolicy: spec.compacted ? 'compact' : 'delete',
    }))
  return {created, existing, warnings}
}

/**
 * The broker's refusal, per topic, in one line: `a, b: replication factor 3 is more than the 1
 * broker of the cluster; c: not authorized to create topics`.
 */
async function creationError(
  admin: Admin,
  error: unknown,
  failed: TopicSpec[],
  options: TopicOptions,
): Promise<FaError> {
  const perTopic = (error as {errors?: Array<{topic?: string; type?: string; message?: string}>}).errors ?? []
  let brokers: number | undefined
  if (perTopic.some((e) => e.type === 'INVALID_REPLICATION_FACTOR'))
    brokers = await admin.describeCluster().then(
      (c) => c.brokers.length,
      () => undefined,
    )
  const reasons = new Map<string, string[]>()
  for (const spec of failed) {
    const e = perTopic.find((item) => item.topic === spec.topic)
    let reason = e?.message ?? (error instanceof Error ? error.message : String(error))
    if (e?.type === 'INVALID_REPLICATION_FACTOR' && brokers !== undefined)
      reason =
        `replication factor ${options.replicationFactor} is more than the ${brokers} ` +
        `broker${brokers === 1 ? '' : 's'} of the cluster`
    else if (e?.type?.endsWith('AUTHORIZATION_FAILED')) reason = `not authorized to create topics (${e.message})`
    reasons.set(reason, [...(reasons.get(reason) ?? []), spec.topic])
  }
  const text = [...reasons].map(([reason, topics]) => `${topics.join(', ')}: ${reason}`).join('; ')
  return new FaError(`cannot create ${failed.length} topic${failed.length === 1 ? '' : 's'}: ${text}`, {
    exit: 'kafka',
    hint:
      'set --replication-factor / kafka.replicationFactor and --partitions to what the cluster ' +
      'allows, or ask its admins',
    cause: error,
  })
}

/** Waits until every partition of `topics` has a leader (new topics take a moment to be usable). */
export async function waitForTopics(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let delay = 50; ; delay = Math.min(1_000, delay * 2)) {
    try {
      const {topics: metadata} = await admin.fetchTopicMetadata({topics})
      const ready =
        metadata.length === topics.length &&
        metadata.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0 && p.partitionErrorCode === 0),
        )
      if (ready) return
    } catch (error) {
      if (Date.now() > deadline) throw error
    }
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}

/** Topics of `names` that do not exist (for a clear error before consuming or producing). */
export async function missingTopics(admin: Admin, names: string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  return [...new Set(names)].filter((name) => !existing.has(name))
}

/** Fails (exit code 5) unless every topic of `names` exists: `fa enrich` and `fa send` check their topics before starting. */
export async function requireTopics(
  admin: Admin,
  config: Config,
  names: string[],
  consequence?: string,
): Promise<void> {
  const missing = await missingTopics(admin, names).catch((error) => {
    throw kafkaError(error, config, 'listing topics')
  })
  if (missing.length > 0) {
    const plural = missing.length > 1
    throw new FaError(
      `topic${plural ? 's' : ''} ${missing.join(', ')} do${plural ? '' : 'es'} not exist on ${config.kafka.brokers.join(',')}${consequence ? `; ${consequence}` : ''}`,
      {exit: 'kafka', hint: 'create them first (`fa topics create`, or your usual tooling)'},
    )
  }
}

/** Partitions, replication factor and cleanup policy of existing topics (policy `unknown` without DescribeConfigs). */
export async function describeTopics(
  admin: Admin,
  names: string[],
): Promise<Map<string, Omit<TopicState, 'topic' | 'roles'>>> {
  const out = new Map<string, Omit<TopicState, 'topic' | 'roles'>>()
  if (names.length === 0) return out
  const {topics} = await admin.fetchTopicMetadata({topics: names})
  const policies = new Map<string, string>()
  try {
    const {ConfigResourceTypes} = await loadKafkaJs()
    const {resources} = await admin.describeConfigs({
      includeSynonyms: false,
      resources: names.map((name) => ({type: ConfigResourceTypes.TOPIC, name, configNames: ['cleanup.policy']})),
    })
    for (const resource of resources) {
      const entry = resource.configEntries.find((e) => e.configName === 'cleanup.policy')
      if (entry) policies.set(resource.resourceName, entry.configValue)
    }
  } catch {
    // describeConfigs needs DescribeConfigs permission; without it, the policy is reported as unknown.
  }
  for (const topic of topics) {
    out.set(topic.name, {
      partitions: topic.partitions.length,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
      cleanupPolicy: policies.get(topic.name) ?? 'unknown',
    })
  }
  return out
}
