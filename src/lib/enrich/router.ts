import type {KafkaMessage, Message} from 'kafkajs'

import {fromKafka} from '../kafka/codec.js'
import {keyPartition} from '../kafka/requests.js'
import {routeByState} from '../pipeline/repartition.js'
import type {StateStore} from '../pipeline/state.js'
import type {TableStore} from '../pipeline/table.js'
import type {AlertType} from '../pipeline/stream.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import type {PrepareOptions, RecordDecoder} from '../schema/decoder.js'
import {processMessage} from './messages.js'
import {repartitionMessage, sourceMessage, type RepartitionPlan} from './repartition.js'

/** Per stateful alert type, the partitions of its repartition topic (of `count`) whose keys run where they are read. */
export type KeysHere = ReadonlyMap<AlertType, {partitions: ReadonlySet<number>; count: number}>

/**
 * enrich's two stages over one consumer group. A record of a source topic runs through its
 * stateless alert types, and through its stateful ones as far as they go without state (a
 * filtered record, one with no state key, one that is not JSON: final there); one that touches
 * state is handed to the repartition topic of that alert type, keyed by its state key. A record
 * of a repartition topic is the source record again, run through that alert type on the state.
 * A key this member would be handed anyway (LocalPartitions) skips the trip: from its first state
 * access, its record runs on the state in the first stage, as in a dry run.
 */
export class RecordRouter {
  /** The stateful alert types whose records may go through their repartition topic (all, unless runHere). */
  private repartitioned: ReadonlySet<AlertType>
  /** Per alert type, the keys applied where their records are read: those of some of its repartition partitions. */
  private here: KeysHere = new Map()
  /** The source topics of alert types with keys applied here, whose batches run on the state. */
  private readonly sourcesHere = new Set<string>()

  constructor(
    private readonly topology: Topology,
    private readonly tables: TableStore,
    private readonly state: StateStore,
    private readonly plan: RepartitionPlan | undefined,
    private readonly decoder?: RecordDecoder,
  ) {
    this.repartitioned = plan?.alerts ?? new Set()
  }

  /** From now on, the keys of `here` run where their records are read; an alert type with all its partitions here is not probed at all. */
  runHere(here: KeysHere): void {
    this.here = here
    const whole = (alert: AlertType) => {
      const keys = here.get(alert)
      return keys !== undefined && keys.partitions.size === keys.count
    }
    this.repartitioned = new Set([...(this.plan?.alerts ?? [])].filter((a) => !whole(a)))
    this.sourcesHere.clear()
    for (const alert of here.keys()) this.sourcesHere.add(this.topology.topic(alert.source))
  }

  /** Whether records of source `topic` run on the state in the first stage (an alert type runs here). */
  runsStateHere(topic: string): boolean {
    return this.sourcesHere.has(topic)
  }

  /** Whether records of `topic` run on state (a repartition topic): its batches wait for the state's restore. */
  keepsState(topic: string): boolean {
    return this.plan?.alertFor(topic) !== undefined
  }

  /** Schemas of the batch's records, fetched before it runs (a repartitioned record's as its source's). */
  async prepare(topic: string, messages: readonly KafkaMessage[], options: PrepareOptions): Promise<void> {
    if (!this.decoder) return
    const alert = this.plan?.alertFor(topic)
    if (!alert) return this.decoder.prepare(topic, messages, options)
    const sources = messages.flatMap((m) => {
      const source = sourceMessage(m)
      return 'error' in source ? [] : [source.message]
    })
    await this.decoder.prepare(this.topology.topic(alert.source), sources, options)
  }

  /** `message` of `topic` as a dead letter of `pipeline`: a repartitioned record as its source record. */
  deadLetter(topic: string, partition: number, message: KafkaMessage, pipeline: string, reason: string) {
    const alert = this.plan?.alertFor(topic)
    const source = alert ? sourceMessage(message) : undefined
    const record =
      source && !('error' in source)
        ? fromKafka(this.topology.topic(alert!.source), source.partition, source.message)
        : fromKafka(topic, partition, message)
    return this.topology.deadLetter(pipeline, record, reason)
  }

  /** One record's final outcomes; a copy it hands on to a repartition topic goes to `emit`. */
  process(
    topic: string,
    partition: number,
    message: KafkaMessage,
    emit: (topic: string, message: Message) => void,
  ): Outcome[] {
    const {topology, tables, state, plan, decoder} = this
    const alert = plan?.alertFor(topic)
    if (alert) {
      const source = sourceMessage(message)
      if ('error' in source) {
        const where = `${topic}[${partition}]@${message.offset}`
        return [topology.deadLetter(alert.name, fromKafka(topic, partition, message), `${where}: ${source.error}`)]
      }
      return processMessage(
        topology,
        tables,
        state,
        topology.topic(alert.source),
        source.partition,
        source.message,
        decoder,
        {
          pipelines: [alert.name],
          outcomes: (record) => topology.process(record, tables, state, [alert]),
        },
      )
    }
    if (!plan) return processMessage(topology, tables, state, topic, partition, message, decoder)
    return processMessage(topology, tables, state, topic, partition, message, decoder, {
      outcomes: (record) => {
        const routed = routeByState(topology, record, tables, state, this.repartitioned, this.keyHere)
        for (const {alert: keyedAlert, key} of routed.keyed)
          emit(plan.topicFor(keyedAlert), repartitionMessage(message, partition, key))
        return routed.outcomes
      },
    })
  }

  /** Whether `key` of `alert` falls in one of the repartition partitions whose keys run here. */
  private readonly keyHere = (alert: AlertType, key: string): boolean => {
    const here = this.here.get(alert)
    return here !== undefined && here.partitions.has(keyPartition(key, here.count))
  }
}
