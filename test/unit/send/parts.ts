// Fakes for the parts of `fa send` (src/lib/send/): messages and batches as kafkajs hands them
// over, and a deliverer and a committer that record what they are asked, without a broker or Slack.
import type {KafkaMessage} from 'kafkajs'

import {partitionKey, type CommittedOffset} from '../../../src/lib/kafka/drain.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {Intake, type BatchPayload, type IntakeOptions} from '../../../src/lib/send/intake.js'
import {Ledger} from '../../../src/lib/send/ledger.js'
import type {Doubt, PartitionState} from '../../../src/lib/send/partitions.js'
import {ResponseTable} from '../../../src/lib/send/responses.js'
import type {Job, Rejected, RunCommitter, RunDeliverer} from '../../../src/lib/send/roles.js'
import {emptyCounts, type SendCounts} from '../../../src/lib/send/summary.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'

export const TOPIC = 'slack-messages'

export function alertValue(alertId: string, recipient: string): string {
  return JSON.stringify(
    buildSlackMessage(alertId, 'unit', {recipient, header: `Alert ${alertId}`, text: md`${alertId}`}),
  )
}

export function message(offset: number, value: string, key: string | null = null): KafkaMessage {
  return {
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from(value),
    headers: {'fa-pipeline': 'unit'},
    timestamp: '1700000000000',
    attributes: 0,
  } as KafkaMessage
}

/** A batch of partition 0 holding `values` from `from` on. */
export function batchOf(values: string[], from = 0): BatchPayload & {paused: boolean; heartbeats: number} {
  const messages = values.map((v, i) => message(from + i, v))
  const payload = {
    batch: {
      topic: TOPIC,
      partition: 0,
      highWatermark: String(from + values.length),
      messages,
      lastOffset: () => String(from + values.length - 1),
    },
    paused: false,
    heartbeats: 0,
    heartbeat: async () => void payload.heartbeats++,
    pause: () => void (payload.paused = true),
    isStale: () => false,
  }
  return payload
}

export interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

export function deferred(): Deferred {
  let resolve: () => void = () => {}
  const promise = new Promise<void>((r) => (resolve = r))
  return {promise, resolve}
}

/** Says what it was asked; `post` settles the entry as done once `hold` (if any) resolves. */
export class FakeDeliverer implements RunDeliverer {
  readonly calls: string[] = []
  readonly rejected: Rejected[] = []
  readonly jobs: Job[] = []
  hold: ((job: Job) => Promise<void>) | undefined
  onPosted: (job: Job) => void = () => {}

  constructor(private readonly ledger: Ledger) {}

  async post(job: Job, channel: string): Promise<void> {
    this.calls.push(`post ${job.alertId} ${channel}`)
    this.jobs.push(job)
    await this.hold?.(job)
    this.onPosted(job)
    this.ledger.done(job.state, job.entry)
  }

  async skip(job: Job, channel: string): Promise<void> {
    this.calls.push(`skip ${job.alertId} ${channel}`)
  }

  reject(rejected: Rejected): void {
    this.calls.push(`reject ${rejected.alertId}`)
    this.rejected.push(rejected)
    this.ledger.done(rejected.state, rejected.entry)
  }

  abandon(): void {}
  addStats(): void {}
}

/** Announces and "commits" by remembering; never owns a partition it did not start. */
export class FakeCommitter implements RunCommitter {
  readonly groupId = 'unit'
  readonly writes: string[] = []
  readonly announced: number[] = []
  progressed = 0
  doubt: Doubt = {from: 0, until: 0, lookupNotBefore: 0}
  async connect(): Promise<void> {}
  watch(): void {}
  async startOffsets(): Promise<Array<{partition: number; offset: number}>> {
    return []
  }
  owns(): boolean {
    return true
  }
  doubtOf(): Doubt {
    return this.doubt
  }
  async announce(state: PartitionState, until: number): Promise<boolean> {
    this.announced.push(until)
    state.announced = until
    return true
  }
  progress(): void {
    this.progressed++
  }
  attach(): void {}
  async close(): Promise<void> {}
  async disconnect(): Promise<void> {}
}

/** An intake over fakes (no broker, no Slack); `committed` is what the group had committed. */
export function intakeOf<D extends RunDeliverer = FakeDeliverer>(
  options: {
    maxPending?: number
    committed?: CommittedOffset
    channel?: string
    committer?: RunCommitter
    drain?: IntakeOptions['drain']
    deliverer?: (ledger: Ledger, counts: SendCounts) => D
  } = {},
) {
  const counts = emptyCounts()
  const table = new ResponseTable()
  const stop = new AbortController()
  const committer = options.committer ?? new FakeCommitter()
  const ledger = new Ledger(counts, options.maxPending ?? 100, stop.signal, (state) => committer.progress(state))
  const create = options.deliverer ?? ((l: Ledger) => new FakeDeliverer(l) as unknown as D)
  const deliverer = create(ledger, counts)
  const committed = options.committed ?? {offset: -1, metadata: null}
  const intake = new Intake({
    topic: TOPIC,
    channel: options.channel,
    committed: async () => new Map([[partitionKey(TOPIC, 0), committed]]),
    table,
    counts,
    ledger,
    deliverer,
    committer,
    drain: options.drain,
    log: silentLogger,
    stop: stop.signal,
  })
  return {intake, counts, table, stop, deliverer, committer, ledger}
}
