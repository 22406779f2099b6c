import type {Admin} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {kafkaError} from '../kafka/connection.js'
import {DrainTracker} from '../kafka/drain.js'
import {repartitionSpecs} from '../kafka/repartition-topics.js'
import {ensureTopics} from '../kafka/topics.js'
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
  const {kafka} = o.config
  const result = await ensureTopics(o.admin, specs, {
    partitions: kafka.partitions,
    replicationFactor: kafka.replicationFactor,
  }).catch((error: unknown) => {
    throw error instanceof FaError ? error : kafkaError(error, o.config, 'creating the repartition topics')
  })
  for (const {topic, partitions} of result.created) o.log.info('created repartition topic', {topic, partitions})
  for (const warning of result.warnings) o.log.warn(warning)
  const plan = new RepartitionPlan(o.topology, o.group)
  const purge = purgeRepartition({...o, topics: plan.topics.map((t) => t.topic)})
  return {plan, stopPurging: () => purge.stop()}
}

/**
 * Cron mode: once the sources are drained, what the run wrote to the repartition topics is
 * drained too; `before` first commits the marker offsets this member saw (see MarkerOffsets).
 */
export function drainRepartition(
  drain: DrainTracker,
  admin: Admin,
  group: string,
  plan: RepartitionPlan,
  before: () => Promise<void>,
): void {
  const topics = plan.topics.map((t) => t.topic)
  drain.thenDrain(async () => {
    await before()
    return (await DrainTracker.fetch(admin, group, topics)).targets
  })
}
