import type {Admin} from 'kafkajs'

import {FaError} from '../errors.js'
import type {Topology} from '../pipeline/topology.js'
import type {TopicSpec} from './topics.js'

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/**
 * The internal topic a stateful alert type's records are repartitioned through in `group`
 * (Kafka Streams names its own `<application id>-<name>-repartition` too).
 */
export function repartitionTopic(group: string, alert: string): string {
  const topic = `${group}-${alert}-repartition`
  if (!TOPIC_NAME.test(topic))
    throw new FaError(
      `consumer group "${group}" cannot name the repartition topic of ${alert}: "${topic}" is not a ` +
        `valid Kafka topic name (letters, digits, ".", "_", "-", at most 249 characters)`,
      {hint: 'choose a group name of those characters (--group or enrich.group)'},
    )
  return topic
}

/**
 * The repartition topics of `group`: one per stateful alert type, as many partitions as its
 * source, kept until fa enrich deletes what the group has processed (retention.ms=-1: records
 * carry their events' own timestamps, which time-based retention would count from).
 */
export function repartitionSpecs(topology: Topology, group: string): TopicSpec[] {
  return topology.alertTypes
    .filter((alert) => alert.stateful)
    .map((alert) => ({
      topic: repartitionTopic(group, alert.name),
      roles: ['repartition'],
      compacted: false,
      partitionsOf: topology.topic(alert.source),
      configEntries: [
        {name: 'retention.ms', value: '-1'},
        // Event time is the record's timestamp: a broker default of LogAppendTime would replace it.
        {name: 'message.timestamp.type', value: 'CreateTime'},
      ],
    }))
}

/** The partitions each spec is created with: its source's where it has one that exists, else `partitions`. */
export async function partitionCounts(admin: Admin, specs: TopicSpec[], partitions: number, existing: Set<string>) {
  const sources = [
    ...new Set(specs.flatMap((s) => (s.partitionsOf && existing.has(s.partitionsOf) ? [s.partitionsOf] : []))),
  ]
  const counts = new Map<string, number>()
  if (sources.length > 0)
    for (const t of (await admin.fetchTopicMetadata({topics: sources})).topics) counts.set(t.name, t.partitions.length)
  return (spec: TopicSpec) => (spec.partitionsOf && counts.get(spec.partitionsOf)) || partitions
}
