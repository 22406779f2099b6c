import type {Message} from 'kafkajs'

import {FaError} from '../errors.js'
import type {MemoryStateStore} from '../pipeline/state.js'
import type {Topology} from '../pipeline/topology.js'
import {changelogMessages} from './state-changelog.js'

/** How often (in stream time) closed windows are swept from state: their tombstones go out with a batch. */
const SWEEP_EVERY_MS = 60_000

/**
 * enrich's state of stateful alert types, kept as Kafka Streams keeps a state store: in memory,
 * restored from the changelog topic before the first batch after every join (so partitions gained
 * in a rebalance carry the state their last owner committed) and after a batch that was not
 * written (its changes never reached the changelog); each batch's changes go out with its outputs,
 * in its transaction under --exactly-once, before its offsets otherwise.
 */
export class StateKeeper {
  /** A changelog this fa cannot read (a newer format): the run must end, never go on without that state. */
  fatal: FaError | undefined
  private restoring: Promise<unknown> | undefined
  private stale = true
  private streamTime = 0
  private sweptAt = 0
  /**
   * Keys this process changed since it last restored: only their owner's partitions carry their
   * events. Another member's keys may have moved on since (a new incident): never swept from here.
   */
  private readonly mine = new Map<string, Set<string>>()

  constructor(
    readonly state: MemoryStateStore,
    readonly topic: string,
    private readonly group: string,
    private readonly topology: Topology,
    private readonly restore: () => Promise<unknown>,
  ) {}

  /** After a join, or a batch whose changes were not written: restore before the next batch. */
  invalidate(): void {
    this.stale = true
  }

  async ready(): Promise<void> {
    if (this.stale) {
      this.stale = false
      this.mine.clear()
      this.restoring = this.restore().catch((error: unknown) => {
        this.stale = true
        if (error instanceof FaError) this.fatal = error
        throw error
      })
    }
    await this.restoring
  }

  /** The changes a batch made (and the sweep of windows its records' times have closed), as changelog records. */
  changes(maxTimestamp: number): Message[] {
    const changes = this.state.takeChanges()
    for (const {namespace, key} of changes) this.keysOf(namespace).add(key)
    this.streamTime = Math.max(this.streamTime, maxTimestamp)
    if (this.streamTime - this.sweptAt >= SWEEP_EVERY_MS) {
      this.sweptAt = this.streamTime
      this.topology.expire(this.state, this.streamTime, (namespace, key) => this.mine.get(namespace)?.has(key) === true)
      for (const swept of this.state.takeChanges()) {
        this.mine.get(swept.namespace)?.delete(swept.key)
        changes.push(swept)
      }
    }
    return changelogMessages(this.group, changes)
  }

  private keysOf(namespace: string): Set<string> {
    let keys = this.mine.get(namespace)
    if (!keys) this.mine.set(namespace, (keys = new Set()))
    return keys
  }
}
