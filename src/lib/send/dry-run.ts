import {randomUUID} from 'node:crypto'

import type {Admin} from 'kafkajs'

import {committedOffsets, partitionKey, type DrainTracker} from '../kafka/drain.js'
import type {GroupOffset} from '../kafka/group-offsets.js'
import type {TopicRecord} from '../records/record.js'
import type {SlackMessage} from '../slack/blocks.js'
import type {Ledger} from './ledger.js'
import {noPostReason, type ResponseTable} from './responses.js'
import {NO_DOUBT, type Doubt, type PartitionState} from './partitions.js'
import type {Job, Rejected, RunCommitter, RunDeliverer} from './roles.js'
import type {SendCounts} from './summary.js'

/*
 * --dry-run: the same run with another deliverer/committer pair. Each alert is shown through
 * `onDryRun` instead of posted; nothing is recorded or committed, and the consumer reads as a
 * throwaway group from where the real group is (what a real run would send next).
 */

/** What --dry-run shows for each message. */
export type DryRunItem =
  | {
      /** An update is an incident's later revision, applied to the alert's post with chat.update. */
      action: 'post' | 'update'
      alertId: string
      pipeline: string
      channel: string
      message: SlackMessage
      source: TopicRecord
      inDoubt: boolean
    }
  | {action: 'skip'; alertId: string; pipeline: string; channel: string; source: TopicRecord}
  | {action: 'expire'; alertId: string; pipeline: string; channel: string; eventAt: string; source: TopicRecord}
  | {action: 'dead-letter'; alertId: string | null; pipeline: string; reason: string; source: TopicRecord}

export type RenderDryRun = (item: DryRunItem) => void | Promise<void>

export class DryRunDeliverer implements RunDeliverer {
  /** Alerts shown as posts: a real run would post each once and skip its repeats. */
  private readonly shown = new Set<string>()

  constructor(
    private readonly onDryRun: RenderDryRun | undefined,
    private readonly ledger: Ledger,
    private readonly counts: SendCounts,
    /** The outcomes recorded so far: an update finds its post there, or among this run's posts. */
    private readonly table?: Pick<ResponseTable, 'posted' | 'postFailure'>,
  ) {}

  async post(job: Job, channel: string): Promise<void> {
    const {alertId, pipeline, record: source, inDoubt} = job
    if (job.revision > 0 && this.table && !this.table.posted(alertId) && !this.shown.has(alertId)) {
      // As a real run: an update of a DM that was never posted (expired, failed, not sent) is dead-lettered.
      const reason = noPostReason(this.table, alertId, job.revision)
      this.counts.invalid++
      await this.render({action: 'dead-letter', alertId, pipeline, reason, source})
      this.ledger.done(job.state, job.entry)
      return
    }
    // An alert once per revision, however often it is on the topic: what a real run would apply.
    const shownAs = job.revision > 0 ? `${alertId}@${job.revision}` : alertId
    if (this.shown.has(shownAs)) {
      this.counts.skipped++
      await this.skip(job, channel)
      this.ledger.done(job.state, job.entry)
      return
    }
    this.shown.add(shownAs)
    if (job.revision > 0) this.counts.wouldUpdate++
    else this.counts.wouldPost++
    const action = job.revision > 0 ? 'update' : 'post'
    await this.render({action, alertId, pipeline, channel, message: {...job.message, channel}, source, inDoubt})
    this.ledger.done(job.state, job.entry)
  }

  async skip(job: Job, channel: string): Promise<void> {
    await this.render({action: 'skip', alertId: job.alertId, pipeline: job.pipeline, channel, source: job.record})
  }

  expire(job: Job, channel: string, eventAt: string): void {
    const {alertId, pipeline, record: source} = job
    void this.render({action: 'expire', alertId, pipeline, channel, eventAt, source}).then(() =>
      this.ledger.done(job.state, job.entry),
    )
  }

  reject({state, entry, record, alertId, pipeline, reason}: Rejected): void {
    void this.render({action: 'dead-letter', alertId, pipeline, reason, source: record}).then(() =>
      this.ledger.done(state, entry),
    )
  }

  /** Nothing is in flight to Slack. */
  abandon(): void {}

  addStats(): void {}

  private async render(item: DryRunItem): Promise<void> {
    await this.onDryRun?.(item)
  }
}

/** Commits nothing, records nothing: progress only tells the drain. */
export class DryRunCommitter implements RunCommitter {
  readonly groupId: string
  readonly writes: string[] = []
  /** Where a new group would start (`--from`), for partitions without committed offsets. */
  starts: GroupOffset[] = []
  private drain: DrainTracker | undefined

  constructor(
    /** The real group: where to start. */
    private readonly group: string,
    private readonly topic: string,
    private readonly admin: Admin,
  ) {
    this.groupId = `${group}-dry-run-${randomUUID()}`
  }

  async connect(): Promise<void> {}

  watch(drain: DrainTracker): void {
    this.drain = drain
  }

  async startOffsets(partitions: Set<number>): Promise<Array<{partition: number; offset: number}>> {
    const committed = await committedOffsets(this.admin, this.group, [this.topic])
    const out: Array<{partition: number; offset: number}> = []
    for (const partition of partitions) {
      const offset = committed.get(partitionKey(this.topic, partition))?.offset ?? -1
      const start = this.starts.find((s) => s.partition === partition)?.offset ?? -1
      if (offset >= 0 || start >= 0) out.push({partition, offset: offset >= 0 ? offset : start})
    }
    return out
  }

  /** Nobody else reads as this throwaway group. */
  owns(): boolean {
    return true
  }

  /** Nothing is looked up in Slack. */
  doubtOf(): Doubt {
    return NO_DOUBT
  }

  /** Nothing is posted. */
  async announce(): Promise<boolean> {
    return true
  }

  progress(state: PartitionState): void {
    this.drain?.advance(state.topic, state.partition, state.watermark())
  }

  attach(): void {}

  async close(): Promise<void> {}

  async disconnect(): Promise<void> {}
}
