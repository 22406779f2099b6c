import {setTimeout as sleep} from 'node:timers/promises'

import type {Entry, PartitionState} from './partitions.js'
import type {SendCounts} from './summary.js'

/**
 * The messages taken on and not settled yet: how many (intake waits while there are `max`), and
 * how each one settles: done (recorded, or shown by a dry run: its offset may be committed) or
 * unfinished (left for the next run: never committed).
 */
export class Ledger {
  private pending = 0
  private waiters: Array<() => void> = []

  constructor(
    private readonly counts: SendCounts,
    private readonly max: number,
    private readonly stop: AbortSignal,
    /** Told when an entry is done (the committer commits in a while). */
    private readonly progress: (state: PartitionState) => void,
  ) {
    stop.addEventListener('abort', () => this.wake(), {once: true})
  }

  get size(): number {
    return this.pending
  }

  get full(): boolean {
    return this.pending >= this.max
  }

  take(): void {
    this.pending++
  }

  done(state: PartitionState, entry: Entry): void {
    entry.done = true
    this.release()
    this.progress(state)
  }

  /** Not recorded, so its offset is never committed; `mayBePosted` keeps it in doubt for the next run. */
  unfinished(_state: PartitionState, entry: Entry, mayBePosted: boolean): void {
    this.counts.unfinished++
    // An announced post that never went out is not in doubt (a post that may have is, until recorded).
    if (!mayBePosted) entry.posting = false
    this.release()
  }

  /** Waits while `max` are pending (until a stop), heartbeating the consumer meanwhile. */
  async room(heartbeat: () => Promise<void>): Promise<void> {
    while (this.full && !this.stop.aborted) {
      await Promise.race([new Promise<void>((resolve) => this.waiters.push(resolve)), sleep(1_000)])
      await heartbeat()
    }
  }

  private release(): void {
    this.pending--
    if (this.pending < this.max && this.waiters.length > 0) this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}
