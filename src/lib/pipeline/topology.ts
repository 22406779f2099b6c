import {deadLetterOf} from '../records/dead-letter.js'
import {Header, originHeaders} from '../records/headers.js'
import {decodeJsonObject, type JsonObject, type TopicRecord} from '../records/record.js'
import type {AlertContent} from './content.js'
import {alertIdFor, Stop, type AlertType} from './stream.js'
import type {TableSpec, TableStore} from './table.js'

/** Logical topic names (`notifications`, `slackMessages`, ...) to real ones. */
export type TopicMap = Record<string, string>

/** Turns what an alert type says into the value of its alert record (fa's: a Slack message). */
export type RenderAlert = (alertId: string, pipeline: string, content: AlertContent) => object

export type Outcome =
  | {kind: 'alert'; pipeline: string; alertId: string; output: TopicRecord}
  | {kind: 'dropped'; pipeline: string; reason: string; detail?: string}
  | {kind: 'dead-letter'; pipeline: string; reason: string; output: TopicRecord}
  | {kind: 'table'; pipeline: string; op: 'upsert' | 'delete'; key: string}
  | {kind: 'unrouted'; pipeline: null; topic: string}

/**
 * The enrichment core: records in, records out, tables as inputs. Pure apart from table
 * updates, which it applies to the store it is given. `replay --dry-run`, `enrich` and the
 * tests all run this same code.
 */
export class Topology {
  readonly alertTypes: readonly AlertType[]
  readonly deadLetterTopic: string
  private readonly bySource = new Map<string, AlertType[]>()
  private readonly byTable = new Map<string, TableSpec>()
  private readonly sinks = new Map<AlertType, string>()

  constructor(
    alertTypes: AlertType[],
    private readonly topics: TopicMap,
    private readonly render: RenderAlert,
  ) {
    this.alertTypes = alertTypes
    this.deadLetterTopic = this.topic('deadLetters')
    for (const alert of alertTypes) {
      const source = this.topic(alert.source)
      this.bySource.set(source, [...(this.bySource.get(source) ?? []), alert])
      this.sinks.set(alert, this.topic(alert.sink))
      for (const table of alert.tables) this.byTable.set(this.topic(table.topic), table)
    }
    for (const topic of this.byTable.keys()) {
      if (this.bySource.has(topic)) throw new Error(`topic ${topic} is both a table and an event source`)
    }
  }

  /** Resolves a logical topic name; unknown names are taken as real topic names. */
  topic(name: string): string {
    return this.topics[name] ?? name
  }

  get sourceTopics(): string[] {
    return [...this.bySource.keys()]
  }

  /** Table topics with the table each one feeds. */
  get tableTopics(): Array<{topic: string; table: TableSpec}> {
    return [...this.byTable].map(([topic, table]) => ({topic, table}))
  }

  /** Every pipeline's name: the tables', then the alert types', in the order they were declared. */
  get pipelineNames(): string[] {
    return [
      ...new Set([...this.byTable.values()].map((table) => table.name)),
      ...this.alertTypes.map((alert) => alert.name),
    ]
  }

  isTableTopic(topic: string): boolean {
    return this.byTable.has(topic)
  }

  process(record: TopicRecord, tables: TableStore): Outcome[] {
    const table = this.byTable.get(record.topic)
    if (table) {
      const change = tables.apply(table, record)
      if (change.ok) return [{kind: 'table', pipeline: table.name, op: change.op, key: change.key}]
      return [this.deadLetter(table.name, record, change.reason)]
    }
    const alerts = this.bySource.get(record.topic)
    if (!alerts) return [{kind: 'unrouted', pipeline: null, topic: record.topic}]
    const decoded = decodeJsonObject(record.value)
    if (!decoded.ok) return alerts.map((alert) => this.deadLetter(alert.name, record, decoded.reason))
    return alerts.map((alert) => this.run(alert, record, decoded.value, tables))
  }

  private run(alert: AlertType, record: TopicRecord, event: Record<string, unknown>, tables: TableStore): Outcome {
    let ctx: unknown = {event, record}
    try {
      for (const step of alert.steps) {
        ctx = step(ctx, tables)
        if (ctx instanceof Stop) {
          return ctx.kind === 'drop'
            ? {kind: 'dropped', pipeline: alert.name, reason: ctx.reason, detail: ctx.detail}
            : this.deadLetter(alert.name, record, ctx.reason)
        }
      }
      const alertId = alertIdFor(alert.name, event, record)
      const message = this.render(alertId, alert.name, alert.message(ctx))
      const headers = originHeaders(record, {[Header.alertId]: alertId, [Header.pipeline]: alert.name})
      const output: TopicRecord = {
        topic: this.sinks.get(alert)!,
        key: alertId,
        value: message as JsonObject,
        headers,
        timestamp: record.timestamp,
        origin: {kind: 'derived'},
      }
      return {kind: 'alert', pipeline: alert.name, alertId, output}
    } catch (error) {
      // A bug in one alert type's code must not stop the others or the run.
      return this.deadLetter(alert.name, record, `alert type ${alert.name} failed: ${(error as Error).message}`)
    }
  }

  /** `record` as a dead letter of `pipeline` on this topology's dead-letter topic. */
  deadLetter(pipeline: string, record: TopicRecord, reason: string): Extract<Outcome, {kind: 'dead-letter'}> {
    return {kind: 'dead-letter', pipeline, reason, output: deadLetterOf(record, this.deadLetterTopic, pipeline, reason)}
  }
}
