import type {Logger} from '../output/log.js'
import {partitionKey} from './drain.js'
import type {PartitionOffset} from './requests.js'

const RETRY_MS = 1_000

/** One OffsetCommit of the next offsets of some partitions. */
export type CommitOffsets = (offsets: PartitionOffset[]) => Promise<void>

export interface CommitPipelineOptions {
  /** Commits through the consumer (its generation); never called again before the last call settled. */
  commit: CommitOffsets
  /** Reads a partition again from `offset` (a seek): outputs of what was read from there failed. */
  rewind(topic: string, partition: number, offset: string): void
  log: Logger
}

interface Tracked {
  /** Where the batch began: its partition is read again from here should its outputs fail. */
  from: bigint
  next: bigint
  acked: boolean
  /** Behind a failed batch of its partition: whatever becomes of its outputs, it is read again. */
  dropped: boolean
  onCommitted: () => void
}

interface Ready {
  offset: PartitionOffset
  callbacks: Array<() => void>
}

/**
 * At-least-once offset commits that do not hold up the reading: each batch is tracked with the
 * promise of its outputs, and a partition's offsets are committed strictly in order, up to the
 * batches whose outputs are all acknowledged, by one OffsetCommit at a time that takes the latest
 * such offset of every partition. A batch whose outputs fail rewinds its partition to where the
 * batch began, and the batches after it there are never committed (they are read again), so no
 * commit passes a record that was not written; duplicates are possible, loss is not.
 */
export class CommitPipeline {
  private readonly lines = new Map<string, {topic: string; partition: number; entries: Tracked[]}>()
  private ready = new Map<string, Ready>()
  private committing: Promise<void> | undefined
  private readonly unsettled = new Set<Promise<void>>()
  private retry: NodeJS.Timeout | undefined
  /** Counts joins: a commit that fails after one does not keep its offsets for the next. */
  private generation = 0

  constructor(private readonly options: CommitPipelineOptions) {}

  /**
   * A batch of `topic[partition]` read from `from` up to `next` (the offset to commit), whose
   * outputs are `written`; `onCommitted` runs once an OffsetCommit covering it succeeded.
   */
  track(topic: string, partition: number, from: bigint, next: bigint, written: Promise<void>, onCommitted: () => void) {
    const key = partitionKey(topic, partition)
    let line = this.lines.get(key)
    if (!line) this.lines.set(key, (line = {topic, partition, entries: []}))
    const entry: Tracked = {from, next, acked: false, dropped: false, onCommitted}
    line.entries.push(entry)
    const settled = written.then(
      () => {
        entry.acked = true
        this.advance(key)
      },
      (error: unknown) => this.failed(key, entry, error),
    )
    this.unsettled.add(settled)
    void settled.finally(() => this.unsettled.delete(settled))
  }

  /**
   * Waits for every tracked batch's outputs, then commits what is acknowledged (through `commit`
   * when given: the consumer's own commit is refused once it stops). For a rebalance and the close.
   */
  async flush(commit?: CommitOffsets): Promise<void> {
    while (this.unsettled.size > 0) await Promise.all(this.unsettled)
    while (this.committing) await this.committing
    if (this.ready.size === 0) return
    // In the loop's place, so that a retry does not send a second commit meanwhile.
    const done = this.commitReady(commit ?? this.options.commit)
    this.committing = done.then(() => (this.committing = undefined))
    await done
  }

  /** A join: what was not committed may belong to another member now, which reads it again. */
  forget(): void {
    for (const line of this.lines.values()) for (const e of line.entries) e.dropped = true
    this.lines.clear()
    this.ready.clear()
    this.generation++
  }

  /** Moves a partition's acknowledged batches, in order, to the next commit. */
  private advance(key: string): void {
    const line = this.lines.get(key)
    if (!line) return
    let moved = false
    while (line.entries.length > 0 && line.entries[0]!.acked) {
      const entry = line.entries.shift()!
      const ready = this.ready.get(key)
      const offset = {topic: line.topic, partition: line.partition, offset: String(entry.next)}
      if (ready) {
        ready.offset = offset
        ready.callbacks.push(entry.onCommitted)
      } else this.ready.set(key, {offset, callbacks: [entry.onCommitted]})
      moved = true
    }
    if (moved) this.startCommits()
  }

  private startCommits(): void {
    this.committing ??= this.commitLoop().finally(() => (this.committing = undefined))
  }

  private failed(key: string, entry: Tracked, error: unknown): void {
    const line = this.lines.get(key)
    if (entry.dropped || !line) return
    const at = line.entries.indexOf(entry)
    for (const e of line.entries.splice(at)) e.dropped = true
    this.options.log.warn('outputs of a batch failed; reading its partition again from where it began', {
      topic: line.topic,
      partition: line.partition,
      offset: String(entry.from),
      error,
    })
    this.options.rewind(line.topic, line.partition, String(entry.from))
  }

  private async commitLoop(): Promise<void> {
    // One OffsetCommit at a time; what is acknowledged meanwhile goes into the next one.
    while (this.ready.size > 0) {
      if (await this.commitReady(this.options.commit)) continue
      // Tried again later even if nothing else is acknowledged meanwhile (a drain's last batches).
      this.retry ??= setTimeout(() => {
        this.retry = undefined
        this.startCommits()
      }, RETRY_MS).unref()
      return
    }
  }

  /** Commits every partition's latest acknowledged offset; false (and kept for the next try) on failure. */
  private async commitReady(commit: CommitOffsets): Promise<boolean> {
    const taken = this.ready
    const generation = this.generation
    this.ready = new Map()
    try {
      await commit([...taken.values()].map((r) => r.offset))
    } catch (error) {
      this.options.log.debug('offset commit failed; the next one carries its offsets', {error})
      if (generation !== this.generation) return false
      for (const [key, r] of taken) {
        const newer = this.ready.get(key)
        if (newer) newer.callbacks.unshift(...r.callbacks)
        else this.ready.set(key, r)
      }
      return false
    }
    for (const r of taken.values()) for (const callback of r.callbacks) callback()
    return true
  }
}
