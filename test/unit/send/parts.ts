// Fakes for the parts of `fa send` (src/lib/send/): messages and batches as kafkajs hands them
// over, a deliverer and a committer that record what they are asked, and a GroupCommitter over a
// writer and a commit target that record what they are given: no broker, no Slack.
import type {KafkaMessage, Message} from 'kafkajs'

import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {partitionKey, type CommittedOffset} from '../../../src/lib/kafka/drain.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {GroupCommitter} from '../../../src/lib/send/commits.js'
import {Intake, type BatchPayload, type IntakeOptions} from '../../../src/lib/send/intake.js'
import {Ledger} from '../../../src/lib/send/ledger.js'
import {NO_DOUBT, PartitionState, type Doubt, type Entry} from '../../../src/lib/send/partitions.js'
import {ResponseTable} from '../../../src/lib/send/responses.js'
import type {Job, Rejected, RunCommitter, RunDeliverer} from '../../../src/lib/send/roles.js'
import {emptyCounts, type SendCounts} from '../../../src/lib/send/summary.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import type {DeliveryOutcome} from '../../../src/lib/slack/deliver.js'
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

  expire(job: Job, channel: string, eventAt: string): void {
    this.calls.push(`expire ${job.alertId} ${channel} ${eventAt}`)
    this.ledger.done(job.state, job.entry)
  }

  reject(rejected: Rejected): void {
    this.calls.push(`reject ${rejected.alertId}`)
    this.rejected.push(rejected)
    this.ledger.done(rejected.state, rejected.entry)
  }

  abandon(): void {}
  addStats(): void {}
}

/** Remembers announcements and progress; every partition it had is still its own. */
export class FakeCommitter implements RunCommitter {
  readonly groupId = 'unit'
  readonly writes: string[] = []
  progressed = 0
  doubt: Doubt = NO_DOUBT
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
  async announce(_state: PartitionState, entry: Entry): Promise<boolean> {
    entry.posting = true
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
    maxAgeMs?: number
    deliverer?: (ledger: Ledger, counts: SendCounts, table: ResponseTable) => D
  } = {},
) {
  const counts = emptyCounts()
  const table = new ResponseTable()
  const stop = new AbortController()
  const committer = options.committer ?? new FakeCommitter()
  const ledger = new Ledger(counts, options.maxPending ?? 100, stop.signal, (state) => committer.progress(state))
  const create = options.deliverer ?? ((l: Ledger) => new FakeDeliverer(l) as unknown as D)
  const deliverer = create(ledger, counts, table)
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
    maxAgeMs: options.maxAgeMs,
    log: silentLogger,
    stop: stop.signal,
  })
  return {intake, counts, table, stop, deliverer, committer, ledger}
}

/** A committer whose writer acknowledges each submit when told, committing through a recording target. */
export function committerOf() {
  const submits: Array<{messages: Map<string, Message[]>; ack: Deferred}> = []
  const writer = {
    connect: async () => {},
    close: async () => {},
    submit: (messages: Map<string, Message[]>) => {
      const ack = deferred()
      submits.push({messages, ack})
      return ack.promise
    },
  }
  const commits: Array<{offset: number; metadata: string}> = []
  const counts = emptyCounts()
  const table = new ResponseTable()
  const stop = new AbortController()
  const committer = new GroupCommitter({
    group: 'unit',
    instance: 'inst1234',
    topics: {responses: 'responses', deadLetters: 'dead-letters'},
    writer,
    table,
    counts,
    requestTimeoutMs: 1_000,
    log: silentLogger,
    stop: stop.signal,
    explain: (error) => error as Error,
  })
  committer.attach({
    commitOffsets: async ([o]) => void commits.push({offset: Number(o!.offset), metadata: o!.metadata}),
  })
  const ledger = new Ledger(counts, 100, stop.signal, (state) => committer.progress(state))
  const state = new PartitionState(TOPIC, 0, 0, NO_DOUBT)
  const record = (entry: Entry, outcome: DeliveryOutcome | undefined, reason?: string) =>
    committer.record(fromKafka(TOPIC, 0, message(entry.offset, '{}')), outcome, reason, (recorded) =>
      recorded ? ledger.done(state, entry) : ledger.unfinished(state, entry, Boolean(outcome?.ok)),
    )
  return {committer, submits, commits, counts, table, state, ledger, record, stop}
}

export const ok = (alertId: string): DeliveryOutcome => ({
  alertId,
  ok: true,
  channel: 'C1',
  ts: '1.2',
  error: null,
  attempts: 1,
  firstAttemptAt: null,
  deliveredAt: null,
})
