import type {PartitionOffset} from '../kafka/writer.js'

/**
 * Cron mode under --exactly-once: every transaction that writes to a repartition partition ends
 * in a marker, which no batch of records reaches, so the group's committed offset stays short of
 * the end offset and members polling it for another's partitions would wait forever. Marker-only
 * batches seen here are remembered and their offsets committed with the next transaction this
 * member makes anyway (no transaction of their own while records flow), or on their own once the
 * drain waits for them. Forgotten at every join: the partition may be another member's by then.
 */
export class MarkerOffsets {
  private readonly seen = new Map<string, PartitionOffset & {member: string | undefined}>()

  /** A marker-only batch ending before `offset`; `committed`: where this member's own commits of it reached. */
  saw(key: string, offset: PartitionOffset, member: string | undefined, committed: bigint | undefined): void {
    if (committed === undefined || committed < BigInt(offset.offset)) this.seen.set(key, {...offset, member})
  }

  /** A batch of records of the partition was read: its own commit goes further. */
  superseded(key: string): void {
    this.seen.delete(key)
  }

  /** The offsets to commit with a transaction of `member` (taken: committed with it, or lost with it and seen again). */
  take(member: string | undefined): PartitionOffset[] {
    const taken: PartitionOffset[] = []
    for (const [key, {member: by, ...offset}] of this.seen) {
      if (by !== member) continue
      this.seen.delete(key)
      taken.push(offset)
    }
    return taken
  }

  forget(): void {
    this.seen.clear()
  }

  /** Members that saw some: one offsets-only transaction each when the drain waits for them. */
  members(): Array<string | undefined> {
    return [...new Set([...this.seen.values()].map((s) => s.member))]
  }
}
