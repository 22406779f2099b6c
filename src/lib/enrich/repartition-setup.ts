import type {Admin, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {kafkaError} from '../kafka/connection.js'
import {DrainTracker} from '../kafka/drain.js'
import {waitForStableEnds} from '../kafka/stable-ends.js'
import {repartitionSpecs} from '../kafka/repartition-topics.js'
import {missingTopics, waitForTopics, type TopicSpec} from '../kafka/topics.js'
import type {Logger} from '../output/log.js'
import type {Topology} from '../pipeline/topology.js'
import {purgeRepartition} from './repartition-purge.js'
import {RepartitionPlan} from './repartition.js'

export interface Repartitioning {
  plan: RepartitionPlan
  /** Stops deleting processed records, after one last round. */
  stopPurging(): Promise<void>
}

/**
 * The run's repartition topics (none without stateful alert types), created where missing as
 * Kafka Streams creates its internal topics: with the source's partition count; what the group
 * has processed of them is deleted as it goes.
 */
export async function prepareRepartition(o: {
  admin: Admin
  config: Config
  topology: Topology
  group: string
  log: Logger
}): Promise<Repartitioning | undefined> {
  const specs = repartitionSpecs(o.topology, o.group)
  if (specs.length === 0) return undefined
  await createRepartitionTopics(o.admin, o.config, specs, o.log, o.group).catch((error: unknown) => {
    throw error instanceof FaError ? error : kafkaError(error, o.config, 'creating the repartition topics')
  })
  const plan = new RepartitionPlan(o.topology, o.group)
  const purge = purgeRepartition({...o, topics: plan.topics.map((t) => t.topic)})
  return {plan, stopPurging: () => purge.stop()}
}

/**
 * Asks the broker to create the topics (it answers "exists" for those that do): listing every
 * topic of a large cluster takes long. A principal not allowed to create topics is fine when
 * they exist already (made by `fa topics create`).
 */
async function createRepartitionTopics(
  admin: Admin,
  config: Config,
  specs: TopicSpec[],
  log: Logger,
  group: string,
): Promise<void> {
  const sources = [...new Set(specs.map((s) => s.partitionsOf!))]
  const counts = new Map<string, number>()
  for (const t of (await admin.fetchTopicMetadata({topics: sources})).topics) counts.set(t.name, t.partitions.length)
  const topics = specs.map((spec) => spec.topic)
  let created: boolean
  try {
    created = await admin.createTopics({
      waitForLeaders: false,
      topics: specs.map((spec) => ({
        topic: spec.topic,
        numPartitions: counts.get(spec.partitionsOf!) ?? config.kafka.partitions,
        replicationFactor: config.kafka.replicationFactor,
        configEntries: spec.configEntries,
      })),
    })
  } catch (error) {
    const missing = await missingTopics(admin, topics)
    if (missing.length === 0) return
    throw new FaError(`cannot create the repartition topic(s) ${missing.join(', ')}: ${(error as Error).message}`, {
      exit: 'kafka',
      hint: `create them with \`fa topics create --group ${group}\` as a principal allowed to, or grant this principal Create on them`,
      cause: error,
    })
  }
  if (!created) return
  await waitForTopics(admin, topics)
  log.info('repartition topics ready (created where missing)', {topics})
}

/**
 * Cron mode: once the sources are drained, what the run wrote to the repartition topics is
 * drained too; `before` first commits the marker offsets this member saw (see MarkerOffsets).
 */
export function drainRepartition(
  drain: DrainTracker,
  kafka: Kafka,
  admin: Admin,
  group: string,
  plan: RepartitionPlan,
  before: () => Promise<unknown>,
): void {
  const topics = plan.topics.map((t) => t.topic)
  drain.thenDrain(async () => {
    await before()
    // Targets read before the sources' last transaction's markers would leave its records out;
    // if that cannot be checked, the targets as they are now (the rest waits for the next run).
    await waitForStableEnds(kafka, admin, topics).catch(() => {})
    return (await DrainTracker.fetch(admin, group, topics)).targets
  })
}
