import type {Admin} from 'kafkajs'

/** A partition of a topic, as a map key. */
export const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

export interface CommittedOffset {
  /** The next offset the group reads; -1 when the group never committed one. */
  offset: number
  metadata: string | null
}

/** The group's committed offsets (and their metadata) for every partition of `topics`. */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topics: string[],
): Promise<Map<string, CommittedOffset>> {
  const out = new Map<string, CommittedOffset>()
  if (topics.length === 0) return out
  for (const {topic, partitions} of await admin.fetchOffsets({groupId, topics})) {
    for (const {partition, offset, metadata} of partitions)
      out.set(partitionKey(topic, partition), {offset: Number(offset), metadata: metadata ?? null})
  }
  return out
}

export interface DrainTarget {
  topic: string
  partition: number
  /** Where the group starts (its committed offset, else the partition's low watermark). */
  from: number
  /** The end offset seen at start: done once everything before it is processed. */
  target: number
}

/**
 * Cron mode for a consumer group: which partitions hold records the group has not processed yet
 * (end offsets now vs committed offsets), and when every one of them has been processed up to
 * the end offset seen at start — by this process or another member of the group.
 */
export class DrainTracker {
  readonly targets: DrainTarget[]
  private readonly pending = new Map<string, DrainTarget>()
  private resolveDone: () => void = () => {}
  private more: (() => Promise<DrainTarget[]>) | undefined
  /** Everything before it processed, per partition, its commit perhaps still to come. */
  private readonly processedTo = new Map<string, number>()
  private onAllProcessed: (() => void) | undefined
  /** Resolves once no partition is left short of its target. */
  readonly done: Promise<void>

  constructor(targets: DrainTarget[]) {
    this.targets = targets
    for (const t of targets) if (t.target > t.from) this.pending.set(partitionKey(t.topic, t.partition), t)
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve))
    if (this.pending.size === 0) this.resolveDone()
  }

  /**
   * Once every partition is done, `more` gives targets to drain next (enrich's repartition
   * topics: what this run wrote to them, whose end offsets are only known once the sources are
   * drained); done waits for those too. A failed `more` ends the drain: what it would have
   * named is committed upstream and waits for the next run.
   */
  thenDrain(more: () => Promise<DrainTarget[]>): void {
    this.more = more
  }

  /** Whether the drain is on its last targets (no `thenDrain` left to come). */
  get lastPhase(): boolean {
    return this.more === undefined
  }

  private finish(): void {
    const more = this.more
    this.more = undefined
    if (!more) return this.resolveDone()
    more().then(
      (targets) => {
        for (const t of targets) {
          if (t.target <= t.from) continue
          this.targets.push(t)
          this.pending.set(partitionKey(t.topic, t.partition), t)
        }
        if (this.pending.size === 0) this.resolveDone()
        else this.checkProcessed()
      },
      () => this.resolveDone(),
    )
  }

  /** The end offsets of `topics` now, against the group's committed offsets (none: from the low watermark). */
  static async fetch(admin: Admin, groupId: string | undefined, topics: string[]): Promise<DrainTracker> {
    const committed = groupId ? await committedOffsets(admin, groupId, topics) : new Map<string, CommittedOffset>()
    const targets: DrainTarget[] = []
    for (const topic of topics) {
      for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
        const offset = committed.get(partitionKey(topic, partition))?.offset ?? -1
        targets.push({
          topic,
          partition,
          from: offset >= 0 ? Math.max(offset, Number(low)) : Number(low),
          target: Number(high),
        })
      }
    }
    return new DrainTracker(targets)
  }

  /** Records to process in all, at start. */
  get total(): number {
    return this.targets.reduce((n, t) => n + Math.max(0, t.target - t.from), 0)
  }

  get remaining(): number {
    return this.pending.size
  }

  /** The end offset seen at start, or undefined for a partition that was already done then (or unknown). */
  targetOf(topic: string, partition: number): number | undefined {
    return this.targets.findLast((t) => t.topic === topic && t.partition === partition)?.target
  }

  isPending(topic: string, partition: number): boolean {
    return this.pending.has(partitionKey(topic, partition))
  }

  /**
   * `then` runs each time every partition left to drain has been processed to its target while
   * some commits are still to come (a transaction spanning batches): nothing more will join them.
   */
  whenAllProcessed(then: () => void): void {
    this.onAllProcessed = then
  }

  /** Everything before `position` is processed; its commit may come later (then `advance`). */
  processed(topic: string, partition: number, position: number): void {
    const k = partitionKey(topic, partition)
    if (position <= (this.processedTo.get(k) ?? -1)) return
    this.processedTo.set(k, position)
    if (this.pending.has(k)) this.checkProcessed()
  }

  private checkProcessed(): void {
    if (!this.onAllProcessed || this.pending.size === 0) return
    for (const [k, t] of this.pending) if ((this.processedTo.get(k) ?? -1) < t.target) return
    this.onAllProcessed()
  }

  /** Everything before `position` is processed (and committed); true when this completed the partition. */
  advance(topic: string, partition: number, position: number): boolean {
    const k = partitionKey(topic, partition)
    const t = this.pending.get(k)
    if (!t || position < t.target) return false
    this.pending.delete(k)
    if (this.pending.size === 0) this.finish()
    return true
  }

  /**
   * Polls the group's committed offsets: partitions another member processed (or whose last
   * records are transaction markers, committed past by a later run) count as done. Returns a stop function.
   */
  pollCommitted(admin: Admin, groupId: string, intervalMs = 2_000, onError?: (error: unknown) => void): () => void {
    const topics = [...new Set(this.targets.map((t) => t.topic))]
    const timer = setInterval(() => {
      if (this.pending.size === 0) return
      committedOffsets(admin, groupId, topics)
        .then((committed) => {
          for (const t of [...this.pending.values()]) {
            const c = committed.get(partitionKey(t.topic, t.partition))
            if (c && c.offset >= 0) this.advance(t.topic, t.partition, c.offset)
          }
        })
        .catch((error: unknown) => onError?.(error))
    }, intervalMs)
    timer.unref()
    return () => clearInterval(timer)
  }
}
