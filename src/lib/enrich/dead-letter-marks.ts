import type {Admin, Kafka} from 'kafkajs'

import {committedOffsets, partitionKey} from '../kafka/drain.js'
import {commitGroupOffsets, type GroupOffset} from '../kafka/group-offsets.js'
import type {Logger} from '../output/log.js'

/**
 * Per table partition, the offset up to which the dead letters of its bad records have been
 * written, so that a bad table record is dead-lettered once, not again at every start (tables
 * are read from the beginning each time). Kept in Kafka, as the committed offsets of a group of
 * its own that nobody joins (`<enrich group>-table-dead-letters`), so it survives machines.
 * Saved every few seconds and at the end of a load: a crash in between repeats at most those.
 */
export class DeadLetterMarks {
  private readonly marks = new Map<string, GroupOffset>()
  private readonly unsaved = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private saving: Promise<void> = Promise.resolve()

  constructor(private readonly o: {kafka: Kafka; admin: Admin; groupId: string; topics: string[]; log: Logger}) {}

  async load(): Promise<void> {
    for (const [key, {offset}] of await committedOffsets(this.o.admin, this.o.groupId, this.o.topics)) {
      const [topic, partition] = key.split('\u0000') as [string, string]
      if (offset >= 0) this.marks.set(key, {topic, partition: Number(partition), offset})
    }
    this.timer = setInterval(() => void this.save(), 5_000)
    this.timer.unref()
  }

  /** Whether the dead letter of the record at `offset` was written by an earlier run. */
  written(topic: string, partition: number, offset: number): boolean {
    return offset < (this.marks.get(partitionKey(topic, partition))?.offset ?? 0)
  }

  /** Dead letters of the partition are written up to `next` (exclusive). */
  advance(topic: string, partition: number, next: number): void {
    const key = partitionKey(topic, partition)
    if (next <= (this.marks.get(key)?.offset ?? 0)) return
    this.marks.set(key, {topic, partition, offset: next})
    this.unsaved.add(key)
  }

  /** Commits the marks that moved; a failure is logged (their dead letters may be written again), never thrown. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (this.unsaved.size === 0) return
      const offsets = [...this.unsaved].map((key) => this.marks.get(key)!)
      this.unsaved.clear()
      await commitGroupOffsets(this.o.kafka, this.o.admin, this.o.groupId, offsets).catch((error: unknown) => {
        for (const {topic, partition} of offsets) this.unsaved.add(partitionKey(topic, partition))
        this.o.log.warn('cannot remember which table dead letters are written; they may be written again', {
          group: this.o.groupId,
          error,
        })
      })
    })
    return this.saving
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.save()
  }
}
