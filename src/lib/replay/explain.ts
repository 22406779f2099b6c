import type {ChalkInstance} from 'chalk'

import {printable} from '../output/printable.js'
import type {Outcome} from '../pipeline/topology.js'
import {toEnvelope} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'

/**
 * What happened to one record in one pipeline, as `--explain` tells it. `fate` is `alerted`,
 * `updated`/`resolved` (an incident's later revisions), `dead-letter`, `table`, `unread`, a drop reason (`filtered`, `unassigned`, `no-slack-user`,
 * ...) or, for an outcome kind this file does not know yet, that kind's name.
 */
export interface Fate {
  file?: string
  line?: number
  topic: string
  key: string | null
  pipeline: string | null
  fate: string
  detail?: string
  recipient?: string
  alertId?: string
}

/** The fates every run can have besides the alert types' drop reasons. */
export const FIXED_FATES = ['alerted', 'updated', 'resolved', 'dead-letter', 'table', 'unread'] as const

/** One record's fates, one per pipeline that read it (or one `unread`). */
export function fatesOf(record: TopicRecord, outcomes: readonly Outcome[]): Fate[] {
  const {origin} = record
  const base = {
    ...(origin.kind === 'fixture' ? {file: origin.file, line: origin.line} : {}),
    topic: record.topic,
    key: record.key,
  }
  return outcomes.map((outcome) => ({...base, pipeline: outcome.pipeline, ...describe(outcome)}))
}

type Told = Pick<Fate, 'fate' | 'detail' | 'recipient' | 'alertId'>

function describe(outcome: Outcome): Told {
  switch (outcome.kind) {
    case 'alert':
      return {fate: 'alerted', recipient: recipientOf(outcome.output), alertId: outcome.alertId}
    case 'update':
      return {
        fate: outcome.resolved ? 'resolved' : 'updated',
        detail: `revision ${outcome.revision}`,
        recipient: recipientOf(outcome.output),
        alertId: outcome.alertId,
      }
    case 'dropped':
      return {fate: outcome.reason, detail: outcome.detail}
    case 'dead-letter':
      return {fate: 'dead-letter', detail: outcome.reason}
    case 'table':
      return {fate: 'table', detail: `${outcome.op} ${JSON.stringify(outcome.key)}`}
    case 'unrouted':
      return {fate: 'unread', detail: 'no enabled alert type or table reads this topic'}
    default:
      return describeOther(outcome)
  }
}

/** A kind added later (updates, resolutions, ...): its name, and its alert id and recipient when it has them. */
function describeOther(outcome: never): Told {
  const other = outcome as {kind: string; alertId?: unknown; output?: TopicRecord; reason?: unknown}
  return {
    fate: other.kind,
    ...(typeof other.reason === 'string' ? {detail: other.reason} : {}),
    ...(other.output ? {recipient: recipientOf(other.output)} : {}),
    ...(typeof other.alertId === 'string' ? {alertId: other.alertId} : {}),
  }
}

function recipientOf(output: TopicRecord): string | undefined {
  const value = output.value as {channel?: unknown} | null
  return value && typeof value === 'object' && typeof value.channel === 'string' ? value.channel : undefined
}

/**
 * A record's fates as JSON Lines for the HTML report: each with what it produced (an alert's
 * Slack message, a dead letter), whatever the outcome's kind.
 */
export function reportLines(record: TopicRecord, outcomes: readonly Outcome[]): string {
  const fates = fatesOf(record, outcomes)
  let text = ''
  outcomes.forEach((outcome, i) => {
    const output = (outcome as {output?: TopicRecord}).output
    text += JSON.stringify(output ? {...fates[i], output: toEnvelope(output)} : fates[i]) + '\n'
  })
  return text
}

/** A fate as one JSON line, for CI to grep. */
export function fateJson(fate: Fate): string {
  return JSON.stringify(fate) + '\n'
}

/** A fate as one terminal line: `FILE:LINE  pipeline  fate → recipient: detail`, control characters escaped. */
export function fateLine(fate: Fate, c: ChalkInstance): string {
  const where = fate.file === undefined ? fate.topic : `${fate.file}:${fate.line}`
  const paint = fate.fate === 'alerted' ? c.green : fate.fate === 'dead-letter' ? c.red : c.yellow
  const parts = [c.dim(where), fate.pipeline ?? printable(fate.topic), paint(fate.fate)]
  if (fate.recipient !== undefined) parts.push(`→ ${printable(fate.recipient)}`)
  if (fate.alertId !== undefined) parts.push(c.dim(fate.alertId))
  const detail = fate.detail === undefined ? '' : `: ${printable(fate.detail)}`
  return parts.join('  ') + detail + '\n'
}
