import {deadLetterOf} from '../records/dead-letter.js'
import {Header, originHeaders} from '../records/headers.js'
import {decodeJsonObject, type JsonObject, type TopicRecord} from '../records/record.js'
import {checkContent, type AlertContent} from './content.js'
import {
  eventTime,
  expired,
  noOpenIncident,
  observe,
  resolvedContent,
  resolves,
  stateKey,
  updatedContent,
  type IncidentSpec,
  type IncidentState,
} from './incidents.js'
import {StateElsewhere, type StateStore} from './state.js'
import {alertIdFor, Stop, type AlertType} from './stream.js'
import type {TableSpec, TableStore} from './table.js'

/** Logical topic names (`notifications`, `slackMessages`, ...) to real ones. */
export type TopicMap = Record<string, string>

/** Turns what an alert type says into the value of its alert record (fa's: a Slack message). */
export type RenderAlert = (alertId: string, pipeline: string, content: AlertContent) => object

export interface TopologyOptions {
  /** Incident windows in ms by alert type, over what the alert types declare (the config's `alerts.windows`). */
  incidentWindows?: Record<string, number>
}

export type Outcome =
  /** `incident`: the alert opened an incident (its alert type groups alerts). */
  | {kind: 'alert'; pipeline: string; alertId: string; output: TopicRecord; incident?: true}
  /** A later revision of an incident's alert, the final one when `resolved`. */
  | {kind: 'update'; pipeline: string; alertId: string; revision: number; resolved: boolean; output: TopicRecord}
  | {kind: 'dropped'; pipeline: string; reason: string; detail?: string}
  | {kind: 'dead-letter'; pipeline: string; reason: string; output: TopicRecord}
  | {kind: 'table'; pipeline: string; op: 'upsert' | 'delete'; key: string}
  | {kind: 'unrouted'; pipeline: null; topic: string}

/** Where an alert type keeps its open incidents, by state key: its state namespace. */
export const incidentsOf = (alert: AlertType) => `${alert.name}/incident`

/**
 * The enrichment core: records in, records out, tables and state as inputs. Pure apart from
 * table and state changes, which it applies to the stores it is given. `replay --dry-run`, `enrich` and the
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
    private readonly options: TopologyOptions = {},
  ) {
    for (const name of Object.keys(options.incidentWindows ?? {})) {
      if (!alertTypes.some((alert) => alert.name === name && alert.incidents))
        throw new Error(`incident window for "${name}": no enabled alert type of that name declares incidents`)
    }
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

  /** The alert types' drop reasons, each once, in the order declared: how a summary lists them. */
  get dropReasons(): string[] {
    return [...new Set(this.alertTypes.flatMap((alert) => alert.dropReasons ?? []))]
  }

  isTableTopic(topic: string): boolean {
    return this.byTable.has(topic)
  }

  /** Source topics read by an alert type that keeps state: their records change what later ones do. */
  get statefulTopics(): string[] {
    return this.sourceTopics.filter((topic) => this.bySource.get(topic)!.some((alert) => alert.stateful))
  }

  /** The incident window of an alert type that declares incidents, after the config's override. */
  windowOf(alert: AlertType & {incidents: IncidentSpec}): number {
    return this.options.incidentWindows?.[alert.name] ?? alert.incidents.windowMs
  }

  /**
   * Deletes the incidents whose windows closed a grace ago by stream time, so state does not grow
   * without bound. The grace is the window itself, as Kafka Streams keeps a window for its grace
   * period: a late event inside its incident's window updates it whatever other keys' events moved
   * stream time on, however runs are cut into batches (enrich sweeps after a batch, a dry run after
   * a record), unless it is later than that. `now`: the stream time (ms) a key's events have reached,
   * undefined for a key that is not this runner's to sweep. Returns how many went.
   */
  expire(state: StateStore, now: (namespace: string, key: string) => number | undefined): number {
    let gone = 0
    for (const alert of this.alertTypes) {
      if (!alert.incidents) continue
      const windowMs = this.windowOf(alert as AlertType & {incidents: IncidentSpec})
      const namespace = incidentsOf(alert)
      for (const [key, incident] of [...state.entries(namespace)]) {
        const time = now(namespace, key)
        if (time === undefined || !expired(incident as IncidentState, time - windowMs, windowMs)) continue
        state.delete(namespace, key)
        gone++
      }
    }
    return gone
  }

  /** A record of a table topic: upserts or deletes its row, or is a dead letter. */
  applyTable(record: TopicRecord, tables: TableStore): Outcome[] {
    const table = this.byTable.get(record.topic)!
    const change = tables.apply(table, record)
    if (change.ok) return [{kind: 'table', pipeline: table.name, op: change.op, key: change.key}]
    return [this.deadLetter(table.name, record, change.reason)]
  }

  /** The alert types reading `topic`, in the order declared (none: not a source). */
  alertTypesOf(topic: string): readonly AlertType[] {
    return this.bySource.get(topic) ?? []
  }

  /**
   * One outcome per alert type of the record's source (or `alerts`, a subset of them), in their
   * order. `state` may be a store per alert type: enrich's repartitioning stage probes with one.
   */
  process(
    record: TopicRecord,
    tables: TableStore,
    state: StateStore | ((alert: AlertType) => StateStore),
    alerts = this.bySource.get(record.topic),
  ): Outcome[] {
    if (this.byTable.has(record.topic)) return this.applyTable(record, tables)
    if (!alerts) return [{kind: 'unrouted', pipeline: null, topic: record.topic}]
    const decoded = decodeJsonObject(record.value)
    if (!decoded.ok) return alerts.map((alert) => this.deadLetter(alert.name, record, decoded.reason))
    const storeOf = typeof state === 'function' ? state : () => state
    return alerts.map((alert) => this.run(alert, record, decoded.value, tables, storeOf(alert)))
  }

  private run(
    alert: AlertType,
    record: TopicRecord,
    event: Record<string, unknown>,
    tables: TableStore,
    state: StateStore,
  ): Outcome {
    let ctx: any = {event, record}
    try {
      const resolution = alert.incidents?.resolve && this.resolve(alert as Incidental, ctx, state)
      if (resolution) return resolution
      for (const step of alert.steps) {
        ctx = step(ctx, tables, state)
        if (ctx instanceof Stop) {
          return ctx.kind === 'drop'
            ? {kind: 'dropped', pipeline: alert.name, reason: ctx.reason, detail: ctx.detail}
            : this.deadLetter(alert.name, record, ctx.reason)
        }
      }
      if (alert.incidents) return this.incident(alert as Incidental, ctx, state)
      const alertId = alertIdFor(alert.name, event, record)
      return {
        kind: 'alert',
        pipeline: alert.name,
        alertId,
        output: this.output(alert, alertId, record, checkContent(alert.message(ctx))),
      }
    } catch (error) {
      // A stand-in: the runner that stopped the run here decides the outcome where the state is.
      if (error instanceof StateElsewhere) return {kind: 'dropped', pipeline: alert.name, reason: 'state-elsewhere'}
      // A bug in one alert type's code must not stop the others or the run.
      return this.deadLetter(alert.name, record, `alert type ${alert.name} failed: ${(error as Error).message}`)
    }
  }

  /** An event that passed every step, in its key's incident: it opens one (an alert) or updates it. */
  private incident(alert: Incidental, ctx: {event: JsonObject; record: TopicRecord}, state: StateStore): Outcome {
    const {record} = ctx
    const key = stateKey(alert.incidents.key, ctx)
    if (key === undefined) return this.deadLetter(alert.name, record, 'no incident key')
    const namespace = incidentsOf(alert)
    const current = state.get(namespace, key) as IncidentState | undefined
    const time = eventTime(record)
    const alertId = alertIdFor(alert.name, ctx.event, record, time)
    const content = checkContent(alert.message(ctx))
    const next = observe(current, time, this.windowOf(alert), content, alertId)
    state.put(namespace, key, next)
    if (next.revision === 0) {
      const output = this.output(alert, alertId, record, content)
      return {kind: 'alert', pipeline: alert.name, alertId, output, incident: true}
    }
    // Unless the event is late, its content is the incident's now: no need to unpack what was just kept.
    const latest = next.lastSeen === time ? {...content, text: content.text.text} : undefined
    return this.update(alert, next, record, updatedContent(next, latest), false)
  }

  /**
   * A resolving event (checked before any step, so also one the filter would drop): it closes its
   * key's open incident with a final update. With none open it does nothing: dropped as
   * `no-open-incident`. Undefined when the event does not resolve (or names no key).
   */
  private resolve(
    alert: Incidental,
    ctx: {event: JsonObject; record: TopicRecord},
    state: StateStore,
  ): Outcome | undefined {
    const {resolve, key: select} = alert.incidents
    if (!resolve!.when(ctx)) return undefined
    const key = stateKey(select, ctx)
    if (key === undefined) return undefined
    const namespace = incidentsOf(alert)
    const current = state.get(namespace, key) as IncidentState | undefined
    const time = eventTime(ctx.record)
    if (!resolves(current, time, this.windowOf(alert))) {
      const window = this.windowOf(alert)
      if (current && expired(current, time, window)) state.delete(namespace, key)
      return {
        kind: 'dropped',
        pipeline: alert.name,
        reason: 'no-open-incident',
        detail: noOpenIncident(key, current, time, window),
      }
    }
    state.delete(namespace, key)
    const status = resolve!.status?.(ctx)
    const final = {...current, revision: current.revision + 1}
    const content = resolvedContent(final, time, typeof status === 'string' && status !== '' ? status : undefined)
    return this.update(alert, final, ctx.record, content, true)
  }

  private update(
    alert: AlertType,
    incident: IncidentState,
    record: TopicRecord,
    content: AlertContent,
    resolved: boolean,
  ): Outcome {
    const {alertId, revision} = incident
    const output = this.output(alert, alertId, record, content, revision)
    if (resolved) output.headers[Header.resolved] = 'true'
    return {kind: 'update', pipeline: alert.name, alertId, revision, resolved, output}
  }

  /** The alert record of `content`; a revision after the first carries its number in the value and a header. */
  private output(
    alert: AlertType,
    alertId: string,
    record: TopicRecord,
    content: AlertContent,
    revision?: number,
  ): TopicRecord {
    const message = this.render(alertId, alert.name, content) as JsonObject
    const headers = originHeaders(record, {[Header.alertId]: alertId, [Header.pipeline]: alert.name})
    if (revision !== undefined) headers[Header.revision] = String(revision)
    return {
      topic: this.sinks.get(alert)!,
      key: alertId,
      value: revision === undefined ? message : {...message, revision},
      headers,
      timestamp: record.timestamp,
      origin: {kind: 'derived'},
    }
  }

  /** `record` as a dead letter of `pipeline` on this topology's dead-letter topic. */
  deadLetter(pipeline: string, record: TopicRecord, reason: string): Extract<Outcome, {kind: 'dead-letter'}> {
    return {kind: 'dead-letter', pipeline, reason, output: deadLetterOf(record, this.deadLetterTopic, pipeline, reason)}
  }
}

type Incidental = AlertType & {incidents: IncidentSpec}
