import type {JsonObject, TopicRecord} from '../records/record.js'
import {Mrkdwn, type AlertContent} from './content.js'
import {parseDuration} from './duration.js'
import {pack, unpacked, type PackedContent, type StoredContent} from './packed-content.js'

export type {StoredContent} from './packed-content.js'

/** What every stateful step sees of an event: the decoded value and its record. */
export interface EventContext {
  event: JsonObject
  record: TopicRecord
}

/** `.incidents({key, window, resolve})`: how an alert type groups its alerts, as written. */
export interface IncidentOptions {
  /** The state key (a connector id): events with the same one belong to the same incident. */
  key: (ctx: EventContext) => unknown
  /** How long an incident stays open after its first event: `24h`, `30m`, `2d`, `1h30m`. */
  window: string
  /** Events of the source (also ones the filter drops) that close an open incident. */
  resolve?: {
    when: (ctx: EventContext) => boolean
    /** The state it recovered to, for the final update ("now Running"). */
    status?: (ctx: EventContext) => unknown
  }
}

export interface IncidentSpec extends IncidentOptions {
  windowMs: number
}

/** An open incident as kept in state: plain JSON. Times are event times in ms since the epoch. */
export interface IncidentState {
  alertId: string
  revision: number
  /** The first event's time: the window runs from here. */
  openedAt: number
  firstSeen: number
  lastSeen: number
  count: number
  /** What the latest event (by event time) said, to update and resolve the alert with: packed while held, plain as restored from JSON. */
  content: StoredContent | PackedContent
}

export function incidentSpec(options: IncidentOptions): IncidentSpec {
  const windowMs = parseDuration(options.window)
  if (!windowMs) throw new Error(`incident window "${options.window}" is not a duration like 24h, 30m or 1h30m`)
  return {...options, windowMs}
}

/**
 * Event time: the record's timestamp (Kafka's, or the fixture's, where a record without one has
 * the previous record's). A record with none at all counts as the epoch, so a run stays deterministic.
 */
export function eventTime(record: TopicRecord): number {
  const ms = record.timestamp === undefined ? NaN : Date.parse(record.timestamp)
  return Number.isNaN(ms) ? 0 : ms
}

/** The state key of an event: a non-empty string, or undefined. */
export function stateKey(select: (ctx: EventContext) => unknown, ctx: EventContext): string | undefined {
  const key = select(ctx)
  if (typeof key === 'number') return String(key)
  return typeof key === 'string' && key !== '' ? key : undefined
}

export function store(content: AlertContent): StoredContent | PackedContent {
  return pack({...content, text: content.text.text})
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * An update's content: the latest event's, with how often and when the incident was seen as the
 * first line of small print (plain text, escaped by the renderer; fields may already be full).
 * `content`: the incident's, when the caller has it at hand.
 */
export function updatedContent(incident: IncidentState, content = unpacked(incident.content)): AlertContent {
  const {count} = incident
  const seen =
    `Seen ${count} time${count === 1 ? '' : 's'}: first ` +
    `${iso(incident.firstSeen)}, last ${iso(incident.lastSeen)}.`
  return {...content, text: new Mrkdwn(content.text), context: [seen, ...(content.context ?? [])]}
}

/** The final update: the incident as last seen, marked resolved at `at`, and the state it is now in. */
export function resolvedContent(incident: IncidentState, at: number, status: string | undefined): AlertContent {
  const updated = updatedContent(incident)
  const line = `Resolved at ${iso(at)}${status ? `, now ${status}` : ''}.`
  return {
    ...updated,
    header: `Resolved: ${updated.header}`,
    text: new Mrkdwn(`✅ *Resolved* at ${iso(at)}.\n${updated.text.text}`),
    context: [line, ...updated.context!],
  }
}

/**
 * An event that would alert, seen by the incident of its key: within the window of the incident's
 * first event it updates it (a late event too: it counts, but an older event's content never
 * replaces a newer one's); otherwise, or with none open, it opens a new one under `alertId`.
 */
export function observe(
  current: IncidentState | undefined,
  time: number,
  windowMs: number,
  content: AlertContent,
  alertId: string,
): IncidentState {
  if (current && time < current.openedAt + windowMs) {
    return {
      ...current,
      revision: current.revision + 1,
      count: current.count + 1,
      firstSeen: Math.min(current.firstSeen, time),
      lastSeen: Math.max(current.lastSeen, time),
      content: time >= current.lastSeen ? store(content) : current.content,
    }
  }
  return {alertId, revision: 0, openedAt: time, firstSeen: time, lastSeen: time, count: 1, content: store(content)}
}

/**
 * Whether a resolving event at `time` closes `current`: it must still be open (within its window)
 * and the event no older than the incident's last failure (a late "Running" from before the
 * failure it would close resolves nothing).
 */
export function resolves(current: IncidentState | undefined, time: number, windowMs: number): current is IncidentState {
  return current !== undefined && time < current.openedAt + windowMs && time >= current.lastSeen
}

/** Whether an incident's window has passed by `now` (stream time): its state can go. */
export function expired(incident: IncidentState, now: number, windowMs: number): boolean {
  return incident.openedAt + windowMs <= now
}

/** Why a resolving event found nothing to resolve, for --explain: no incident of its key, one whose window closed, or one with a later event. */
export function noOpenIncident(
  key: string,
  current: IncidentState | undefined,
  time: number,
  windowMs: number,
): string {
  const at = (ms: number) => new Date(ms).toISOString()
  if (!current) return `no open incident for key ${JSON.stringify(key)}`
  if (current.openedAt + windowMs <= time)
    return `the incident for key ${JSON.stringify(key)} (${current.alertId}) closed its window at ${at(current.openedAt + windowMs)}`
  return `the incident for key ${JSON.stringify(key)} (${current.alertId}) has a later event, at ${at(current.lastSeen)}`
}
