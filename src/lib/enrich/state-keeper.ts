import type {KafkaMessage, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import type {MemoryStateStore} from '../pipeline/state.js'
import type {AlertType} from '../pipeline/stream.js'
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
   * Per alert type with incidents, the keys whose events this process has read since it last
   * restored, and the stream they come on. Another member's keys may have moved on since (a new
   * incident): never swept from here.
   */
  private readonly keys = new Map<AlertType, Map<string, Stream>>()

  constructor(
    readonly state: MemoryStateStore,
    readonly topic: string,
    private readonly group: string,
    private readonly topology: Topology,
    private readonly plan: RepartitionPlan | undefined,
    private readonly restore: () => Promise<unknown>,
  ) {}

  /** After a join, or a batch whose changes were not written: restore before the next batch. */
  invalidate(): void {
    this.stale = true
  }

  async ready(): Promise<void> {
    if (this.stale) {
      this.stale = false
      this.keys.clear()
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
    const alert = this.plan?.alertFor(topic)
    const source = originPartition(message)
    if (!alert?.incidents || source === undefined || message.key === null) return
    const name = `${topic}\u0000${partition}\u0000${source}`
    let stream = this.streams.get(name)
    if (!stream) this.streams.set(name, (stream = {time: 0, sweptAt: 0}))
    stream.time = Math.max(stream.time, Number(message.timestamp))
    if (stream.time - stream.sweptAt >= SWEEP_EVERY_MS) this.sweepDue = true
    let keys = this.keys.get(alert)
    if (!keys) this.keys.set(alert, (keys = new Map()))
    keys.set(message.key.toString(), stream)
  }

  /** The changes a batch made (and the sweep of windows its records' times have closed), as changelog records. */
  changes(): Message[] {
    const changes = this.state.takeChanges()
    if (this.sweepDue) {
      this.sweepDue = false
      for (const stream of this.streams.values()) stream.sweptAt = stream.time
      this.topology.expire(this.state, (alert, key) => this.keys.get(alert)?.get(key)?.time)
      changes.push(...this.state.takeChanges())
      // A key with no incident left has nothing to sweep: forgotten until its next event.
      for (const [alert, keys] of this.keys) {
        const namespace = incidentsOf(alert)
        for (const key of keys.keys()) if (this.state.get(namespace, key) === undefined) keys.delete(key)
      }
    }
    return changelogMessages(this.group, changes)
  }
}
