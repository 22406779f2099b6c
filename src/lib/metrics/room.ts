import type {Outcome} from '../pipeline/topology.js'

/** One partition's lag: records after the group's committed offset. */
export interface PartitionLag {
  topic: string
  partition: number
  lag: number
}

/** What `fa send` did with one alert it took on. */
export type SendOutcome = 'delivered' | 'skipped' | 'expired' | 'failed' | 'invalid'

/** The moments a delivery is timed from (see `Metrics.sendOutcome`). */
export interface DeliveryTimes {
  eventTime?: string
  producedAt?: number
  takenAt?: number
}

/** A part of a daemon that must be up before it is ready (`/readyz`). */
export type ReadyPart = 'tables' | 'responses' | 'consumer'

/**
 * Where the engines count what they do, for `/metrics` and `/readyz`. The engines call these
 * hooks unconditionally; without metrics (cron runs, replay, tests) they are `noMetrics`, whose
 * hooks do nothing, so counting costs a call and nothing else.
 */
export interface Metrics {
  /**
   * enrich: a batch of source records went through the core and its outputs are acknowledged;
   * `sources[i]` is the record of `outcomes[i]` (its Kafka timestamp, epoch ms, is the event time).
   */
  enrichBatch(outcomes: readonly Outcome[][], sources: ReadonlyArray<{timestamp: string}>): void
  /** enrich: table records applied (upserts, deletes, dead letters). */
  tableRecords(outcomes: readonly Outcome[][]): void
  /** enrich: rows per table, read when scraped. */
  tableRows(read: () => Record<string, number>): void
  /** enrich --exactly-once: a transaction ended. */
  transaction(result: 'committed' | 'aborted'): void
  /** The group's lag per partition, read when scraped. */
  lag(group: string, read: () => Promise<PartitionLag[]>): void
  /** send: an alert taken from slack-messages. */
  sendTaken(pipeline: string): void
  /**
   * send: an alert's outcome. `eventTime` (the record's time, ISO), `producedAt` (when fa enrich
   * wrote it, epoch ms) and `takenAt` (when fa send took it off slack-messages, epoch ms) time a
   * delivery; any of them may be unknown.
   */
  sendOutcome(pipeline: string, outcome: SendOutcome, times?: DeliveryTimes): void
  /** send: a record written to the dead-letter topic. */
  deadLetter(pipeline: string, reason: string): void
  /** send: an offset commit of slack-messages. */
  offsetCommit(ok: boolean): void
  /** A Slack Web API call and its result (`ok`, Slack's error code, `rate_limited`, ...). */
  slackCall(method: string, result: string): void
  /** A 429 from Slack and the Retry-After it gave. */
  slackRateLimited(method: string, retryAfterSeconds: number): void
  /** A part came up (true) or went down (false). */
  ready(part: ReadyPart, up: boolean): void
  /** Why the daemon is failing now (a batch or commit retried), or null once it works again. */
  failing(reason: string | null): void
}

const nothing = () => {}

/** Metrics off: every hook does nothing. */
export const noMetrics: Metrics = {
  enrichBatch: nothing,
  tableRecords: nothing,
  tableRows: nothing,
  transaction: nothing,
  lag: nothing,
  sendTaken: nothing,
  sendOutcome: nothing,
  deadLetter: nothing,
  offsetCommit: nothing,
  slackCall: nothing,
  slackRateLimited: nothing,
  ready: nothing,
  failing: nothing,
}
