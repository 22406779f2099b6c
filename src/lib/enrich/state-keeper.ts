import type {KafkaMessage, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import type {MemoryStateStore} from '../pipeline/state.js'
import {incidentsOf, type Topology} from '../pipeline/topology.js'
import {originPartition, type RepartitionPlan} from './repartition.js'
import {changelogMessages} from './state-changelog.js'

/** How often (in stream time) closed windows are swept from state: their tombstones go out with a batch. */
const SWEEP_EVERY_MS = 60_000

/** The records of one source partition in one repartition partition (in source order there): the stream time they have reached. */
interface Stream {
  time: number
  sweptAt: number
}

/**
 * enrich's state of stateful alert types, kept as Kafka Streams keeps a state store: in memory,
 * restored from the changelog topic before the first batch after every join (so partitions gained
 * in a rebalance carry the state their last owner committed) and after a batch that was not
 * written (its changes never reached the changelog); each batch's changes go out with its outputs,
 * in its transaction under --exactly-once, before its offsets otherwise.
 *
 * Stream time, which closed windows are swept by, is kept per repartition partition and source
 * partition: only there are records in their source order. A repartition partition merges source
 * partitions read at different paces, and repartition partitions are read at paces of their own:
 * records far ahead must not close the incidents of keys whose events come on a stream behind (a
 * dry run reads them in file order).
 */
export class StateKeeper {
  /** A changelog this fa cannot read (a newer format): the run must end, never go on without that state. */
  fatal: FaError | undefined
  private restoring: Promise<unknown> | undefined
  private stale = true
  private sweepDue = false
  private readonly streams = new Map<string, Stream>()
  /**
   * Per incident namespace, the keys this process changed since it last restored, and the stream
   * their events come on. Another member's keys may have moved on since (a new incident): never
   * swept from here.
   */
  private readonly keys = new Map<string, Map<string, Stream>>()
  /** The stream of each key the current batch read, per incident namespace: kept for the keys it changed. */
  private readonly seen = new Map<string, Map<string, Stream>>()
  private readonly namespaces = new Map<string, string | null>()
  /** The stream of a batch run on the state in the first stage (LocalPartitions): that of every key it changed. */
  private current: Stream | undefined
  private lastSource: {topic: string; partition: number; stream: Stream} | undefined

  constructor(
    readonly state: MemoryStateStore,
    readonly topic: string,
    private readonly group: string,
    private readonly topology: Topology,
    private readonly plan: RepartitionPlan | undefined,
    private readonly restore: () => Promise<unknown>,
  ) {
    // Known from the start: a batch run where it is read changes keys of any of them.
    for (const {topic} of plan?.topics ?? []) this.namespaceOf(topic)
  }

  /** After a join, or a batch whose changes were not written: restore before the next batch. */
  invalidate(): void {
    this.stale = true
  }

  async ready(): Promise<void> {
    if (this.stale) {
      this.stale = false
      for (const keys of [...this.keys.values(), ...this.seen.values()]) keys.clear()
      this.restoring = this.restore().catch((error: unknown) => {
        this.stale = true
        if (error instanceof FaError) this.fatal = error
        throw error
      })
    }
    await this.restoring
  }

  /** A record of a repartition topic's `partition`, about to run on the state: its key's stream moves on to its time. */
  saw(topic: string, partition: number, message: KafkaMessage): void {
    const namespace = this.namespaceOf(topic)
    const source = namespace === null ? undefined : originPartition(message)
    if (source === undefined || message.key === null) return
    const stream = this.movedOn(this.streamOf(`${topic}\u0000${partition}\u0000${source}`), message)
    this.seen.get(namespace!)!.set(message.key.toString(), stream)
  }

  /** A source record, about to run on the state where it was read: its partition is the stream of the keys it changes. */
  sawSource(topic: string, partition: number, message: KafkaMessage): void {
    // A batch's records share their stream: looked up once, not per record.
    const last = this.lastSource
    if (last?.topic !== topic || last.partition !== partition)
      this.lastSource = {topic, partition, stream: this.streamOf(`${topic}\u0000${partition}`)}
    this.current = this.movedOn(this.lastSource!.stream, message)
  }

  private streamOf(name: string): Stream {
    let stream = this.streams.get(name)
    if (!stream) this.streams.set(name, (stream = {time: 0, sweptAt: 0}))
    return stream
  }

  private movedOn(stream: Stream, message: KafkaMessage): Stream {
    const time = Number(message.timestamp)
    if (time > stream.time) stream.time = time
    if (stream.time - stream.sweptAt >= SWEEP_EVERY_MS) this.sweepDue = true
    return stream
  }

  /** The changes a batch made (and the sweep of windows its records' times have closed), as changelog records. */
  changes(): Message[] {
    const changes = this.state.takeChanges()
    for (const {namespace, key, value} of changes) {
      const keys = this.keys.get(namespace)
      if (!keys) continue
      const stream = this.seen.get(namespace)!.get(key) ?? this.current
      if (value === null) keys.delete(key)
      else if (stream) keys.set(key, stream)
    }
    for (const seen of this.seen.values()) seen.clear()
    this.current = undefined
    if (this.sweepDue) {
      this.sweepDue = false
      for (const stream of this.streams.values()) stream.sweptAt = stream.time
      this.topology.expire(this.state, (namespace, key) => this.keys.get(namespace)?.get(key)?.time)
      for (const swept of this.state.takeChanges()) {
        this.keys.get(swept.namespace)?.delete(swept.key)
        changes.push(swept)
      }
    }
    return changelogMessages(this.group, changes)
  }

  /** The incident namespace a repartition topic's records change; null for one of an alert type without incidents. */
  private namespaceOf(topic: string): string | null {
    let namespace = this.namespaces.get(topic)
    if (namespace === undefined) {
      const alert = this.plan?.alertFor(topic)
      namespace = alert?.incidents ? incidentsOf(alert) : null
      this.namespaces.set(topic, namespace)
      if (namespace !== null && !this.keys.has(namespace)) {
        this.keys.set(namespace, new Map())
        this.seen.set(namespace, new Map())
      }
    }
    return namespace
  }
}
