import type {IHeaders, KafkaMessage, Message} from 'kafkajs'

import {repartitionTopic} from '../kafka/repartition-topics.js'
import type {AlertType} from '../pipeline/stream.js'
import type {Topology} from '../pipeline/topology.js'

/**
 * Repartitioning, as Kafka Streams does it: a stateful alert type's records are written, keyed
 * by their state key, to an internal topic of the group (`<group>-<alert type>-repartition`,
 * as many partitions as the source), which the same group consumes; so one key's records meet
 * in one partition, owned by one member at a time, whichever source partition they came from.
 * The record keeps its value bytes, headers and timestamp; the source key and position ride in
 * two headers added last (so a source header of the same name is kept as it was).
 */
export const RepartitionHeader = {
  /** `<source partition>@<source offset>`, then ` nokey` when the source record had a null key. */
  origin: 'fa-repartition-origin',
  /** The source record's key bytes (absent for a null key). */
  key: 'fa-repartition-key',
} as const

/** The repartitioned alert types of a topology (its stateful ones) and their topics in a group. */
export class RepartitionPlan {
  private readonly topicOf = new Map<AlertType, string>()
  private readonly alertOf = new Map<string, AlertType>()
  readonly alerts: ReadonlySet<AlertType>

  constructor(
    private readonly topology: Topology,
    group: string,
  ) {
    for (const alert of topology.alertTypes) {
      if (!alert.stateful) continue
      const topic = repartitionTopic(group, alert.name)
      this.topicOf.set(alert, topic)
      this.alertOf.set(topic, alert)
    }
    this.alerts = new Set(this.topicOf.keys())
  }

  /** Each repartition topic with the source topic whose partition count it takes. */
  get topics(): Array<{topic: string; source: string}> {
    return [...this.topicOf].map(([alert, topic]) => ({topic, source: this.topology.topic(alert.source)}))
  }

  topicFor(alert: AlertType): string {
    return this.topicOf.get(alert)!
  }

  /** The alert type a repartition topic feeds; undefined for any other topic. */
  alertFor(topic: string): AlertType | undefined {
    return this.alertOf.get(topic)
  }
}

/** A source record as written to a repartition topic: keyed by its state key, the rest as read. */
export function repartitionMessage(message: KafkaMessage, partition: number, key: string): Message {
  const headers: IHeaders = {...message.headers}
  append(headers, RepartitionHeader.origin, `${partition}@${message.offset}${message.key === null ? ' nokey' : ''}`)
  if (message.key !== null) append(headers, RepartitionHeader.key, message.key)
  return {key, value: message.value, headers, timestamp: message.timestamp}
}

/** The source record a repartitioned one carries (its partition, and the message as first read), or why not. */
export function sourceMessage(message: KafkaMessage): {partition: number; message: KafkaMessage} | {error: string} {
  const headers: IHeaders = {...message.headers}
  const origin = take(headers, RepartitionHeader.origin)
  const match = origin === undefined ? null : /^(\d+)@(\d+)( nokey)?$/.exec(origin.toString())
  if (!match) return {error: `no ${RepartitionHeader.origin} header of fa's: not a record fa repartitioned`}
  const key = match[3] ? null : take(headers, RepartitionHeader.key)
  if (key === undefined) return {error: `no ${RepartitionHeader.key} header: not a record fa repartitioned`}
  const source = {
    ...message,
    key: key === null ? null : Buffer.isBuffer(key) ? key : Buffer.from(key),
    headers,
    offset: match[2]!,
  } as KafkaMessage
  return {partition: Number(match[1]), message: source}
}

/** The source partition a repartitioned record came from (its origin header), without copying the record. */
export function originPartition(message: KafkaMessage): number | undefined {
  const had = message.headers?.[RepartitionHeader.origin]
  const origin = Array.isArray(had) ? had.at(-1) : had
  if (origin === undefined) return undefined
  const text = origin.toString()
  const partition = Number(text.slice(0, text.indexOf('@')))
  return Number.isInteger(partition) && partition >= 0 ? partition : undefined
}

function append(headers: IHeaders, name: string, value: Buffer | string): void {
  const had = headers[name]
  headers[name] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value]
}

/** Removes and returns the last value of `name` (the one `append` added). */
function take(headers: IHeaders, name: string): Buffer | string | undefined {
  const had = headers[name]
  if (!Array.isArray(had)) {
    delete headers[name]
    return had
  }
  const rest = had.slice(0, -1)
  if (rest.length === 0) delete headers[name]
  else headers[name] = rest.length === 1 ? rest[0] : rest
  return had.at(-1)
}
