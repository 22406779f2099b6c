import {collectDefaultMetrics, Counter, Gauge, Histogram, Registry} from 'prom-client'

import {withTimeout} from '../kafka/client.js'
import type {Outcome} from '../pipeline/topology.js'
import {Health} from './health.js'
import type {DeliveryTimes, Metrics, PartitionLag, ReadyPart, SendOutcome} from './room.js'

/** Seconds: alerts can be late by hours when their events are (a BigQuery producer on cron). */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600]
const RETRY_AFTER_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300]
/** Dead-letter reasons are free text: label by their first part, and at most this many distinct ones. */
const MAX_REASONS = 50
/** A scrape must answer quickly even when the broker does not. */
const LAG_TIMEOUT_MS = 3_000

/**
 * The metrics room with prom-client behind it: a registry of fa's metrics plus Node's default
 * process metrics, and the readiness that `/readyz` reports.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry()
  readonly health: Health
  private readonly recordsIn: Counter<'pipeline'>
  private readonly recordsOut: Counter<'pipeline' | 'outcome'>
  private readonly deadLetters: Counter<'pipeline' | 'reason'>
  private readonly eventToAlert: Histogram<'pipeline'>
  private readonly eventToSlack: Histogram<'pipeline'>
  private readonly alertToSlack: Histogram<'pipeline'>
  private readonly takenToSlack: Histogram<'pipeline'>
  private readonly transactions: Counter<'result'>
  private readonly commits: Counter<'result'>
  private readonly slackCalls: Counter<'method' | 'result'>
  private readonly rateLimited: Counter<'method'>
  private readonly retryAfter: Histogram<'method'>
  private readonly reasons = new Set<string>()
  private readRows: (() => Record<string, number>) | undefined
  private readLag: {group: string; read: () => Promise<PartitionLag[]>} | undefined

  /** `processMetrics`: Node's default metrics too (once per process: not in enrich's threads). */
  constructor(parts: ReadyPart[], {processMetrics = true}: {processMetrics?: boolean} = {}) {
    this.health = new Health(parts)
    const registers = [this.registry]
    if (processMetrics) collectDefaultMetrics({register: this.registry})
    this.recordsIn = new Counter({
      name: 'fa_records_in_total',
      help: 'Records each pipeline read (enrich: events and table records; send: alerts taken from slack-messages)',
      labelNames: ['pipeline'],
      registers,
    })
    this.recordsOut = new Counter({
      name: 'fa_records_out_total',
      help:
        'What each pipeline did with its records, by outcome (alert, dead-letter, a drop reason, ' +
        'upsert, delete; send: delivered, skipped, expired, failed, invalid)',
      labelNames: ['pipeline', 'outcome'],
      registers,
    })
    this.deadLetters = new Counter({
      name: 'fa_dead_letters_total',
      help: 'Records written to the dead-letter topic, by pipeline and reason (the first part of fa-error)',
      labelNames: ['pipeline', 'reason'],
      registers,
    })
    this.eventToAlert = new Histogram({
      name: 'fa_event_to_alert_seconds',
      help: 'From the event record time to its alert acknowledged on slack-messages',
      labelNames: ['pipeline'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.alertToSlack = new Histogram({
      name: 'fa_alert_to_slack_seconds',
      help: 'From fa enrich writing the alert to slack-messages (its fa-produced-at header) to Slack accepting the post',
      labelNames: ['pipeline'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.takenToSlack = new Histogram({
      name: 'fa_send_to_slack_seconds',
      help:
        'From fa send taking the alert off slack-messages to ' +
        'Slack accepting the post (rate limits, retries, lookups)',
      labelNames: ['pipeline'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.eventToSlack = new Histogram({
      name: 'fa_event_to_slack_seconds',
      help: 'From the event record time to Slack accepting the post',
      labelNames: ['pipeline'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    this.transactions = new Counter({
      name: 'fa_transactions_total',
      help: 'Kafka transactions of fa enrich --exactly-once, by result (committed, aborted)',
      labelNames: ['result'],
      registers,
    })
    this.commits = new Counter({
      name: 'fa_offset_commits_total',
      help: 'Offset commits of fa send, by result (ok, failed)',
      labelNames: ['result'],
      registers,
    })
    this.slackCalls = new Counter({
      name: 'fa_slack_calls_total',
      help: "Slack Web API calls, by method and result (ok, Slack's error code, rate_limited, timeout, ...)",
      labelNames: ['method', 'result'],
      registers,
    })
    this.rateLimited = new Counter({
      name: 'fa_slack_rate_limited_total',
      help: 'HTTP 429 answers from Slack, by method',
      labelNames: ['method'],
      registers,
    })
    this.retryAfter = new Histogram({
      name: 'fa_slack_retry_after_seconds',
      help: 'The Retry-After that Slack gave with each 429',
      labelNames: ['method'],
      buckets: RETRY_AFTER_BUCKETS,
      registers,
    })
    const rows: Gauge<'table'> = new Gauge({
      name: 'fa_table_rows',
      help: 'Rows in each table (GlobalKTable) fa enrich holds in memory',
      labelNames: ['table'],
      registers,
      // Each thread of `fa enrich --threads` holds every table, and reads the same group's lag.
      aggregator: 'max',
      collect: () => {
        for (const [table, n] of Object.entries(this.readRows?.() ?? {})) rows.set({table}, n)
      },
    })
    const lag: Gauge<'group' | 'topic' | 'partition'> = new Gauge({
      name: 'fa_consumer_lag',
      help: "Records after the consumer group's committed offset, per topic and partition",
      labelNames: ['group', 'topic', 'partition'],
      registers,
      aggregator: 'max',
      collect: async () => {
        const source = this.readLag
        if (!source) return
        const partitions = await withTimeout(
          source.read().catch(() => undefined),
          LAG_TIMEOUT_MS,
        )
        if (!partitions) return // keep the last values: the broker did not answer in time
        lag.reset()
        for (const p of partitions)
          lag.set({group: source.group, topic: p.topic, partition: String(p.partition)}, p.lag)
      },
    })
    const ready: Gauge = new Gauge({
      name: 'fa_ready',
      help: '1 when the daemon is ready (tables loaded, consumer joined, not failing), else 0',
      registers,
      aggregator: 'min',
      collect: () => ready.set(this.health.isReady ? 1 : 0),
    })
  }

  enrichBatch(outcomes: readonly Outcome[][], sources: ReadonlyArray<{timestamp: string}>): void {
    const now = Date.now()
    for (let i = 0; i < outcomes.length; i++) {
      this.count(outcomes[i]!)
      const time = Number(sources[i]?.timestamp)
      if (!Number.isFinite(time)) continue
      for (const outcome of outcomes[i]!) {
        if (outcome.kind === 'alert') this.eventToAlert.observe({pipeline: outcome.pipeline}, seconds(now - time))
      }
    }
  }

  tableRecords(outcomes: readonly Outcome[][]): void {
    for (const result of outcomes) this.count(result)
  }

  tableRows(read: () => Record<string, number>): void {
    this.readRows = read
  }

  transaction(result: 'committed' | 'aborted'): void {
    this.transactions.inc({result})
  }

  lag(group: string, read: () => Promise<PartitionLag[]>): void {
    this.readLag = {group, read}
  }

  sendTaken(pipeline: string): void {
    this.recordsIn.inc({pipeline})
  }

  sendOutcome(pipeline: string, outcome: SendOutcome, times: DeliveryTimes = {}): void {
    this.recordsOut.inc({pipeline, outcome})
    if (outcome !== 'delivered') return
    const now = Date.now()
    if (times.eventTime) this.eventToSlack.observe({pipeline}, seconds(now - Date.parse(times.eventTime)))
    if (times.producedAt !== undefined) this.alertToSlack.observe({pipeline}, seconds(now - times.producedAt))
    if (times.takenAt !== undefined) this.takenToSlack.observe({pipeline}, seconds(now - times.takenAt))
  }

  deadLetter(pipeline: string, reason: string): void {
    this.deadLetters.inc({pipeline, reason: this.reasonLabel(reason)})
  }

  offsetCommit(ok: boolean): void {
    this.commits.inc({result: ok ? 'ok' : 'failed'})
  }

  slackCall(method: string, result: string): void {
    this.slackCalls.inc({method, result})
  }

  slackRateLimited(method: string, retryAfterSeconds: number): void {
    this.rateLimited.inc({method})
    this.retryAfter.observe({method}, retryAfterSeconds)
  }

  ready(part: ReadyPart, up: boolean): void {
    this.health.set(part, up)
  }

  failing(reason: string | null): void {
    this.health.failing(reason)
  }

  private count(result: readonly Outcome[]): void {
    for (const outcome of result) {
      if (outcome.kind === 'unrouted') continue
      const {pipeline} = outcome
      this.recordsIn.inc({pipeline})
      const label = outcome.kind === 'dropped' ? outcome.reason : outcome.kind === 'table' ? outcome.op : outcome.kind
      this.recordsOut.inc({pipeline, outcome: label})
      if (outcome.kind === 'dead-letter') this.deadLetter(pipeline, outcome.reason)
    }
  }

  /**
   * `connectorId: must be a non-empty string` → `connectorId`, but `Slack: channel_not_found` whole
   * (a code after a one-word prefix); past MAX_REASONS distinct ones, `other`.
   */
  private reasonLabel(reason: string): string {
    const [first = '', second = ''] = reason.split(': ')
    const label = (/^\S+$/.test(first) && /^[\w.-]+$/.test(second) ? `${first}: ${second}` : first).slice(0, 80)
    if (this.reasons.has(label)) return label
    if (this.reasons.size >= MAX_REASONS) return 'other'
    this.reasons.add(label)
    return label
  }
}

const seconds = (ms: number) => Math.max(0, ms / 1000)
