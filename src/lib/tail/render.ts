import type {ChalkInstance} from 'chalk'

import {renderAlert, renderDeadLetter} from '../output/human.js'
import {toEnvelope, type Envelope} from '../records/envelope.js'
import {Header, originOf} from '../records/headers.js'
import {decodeJsonObject, describeOrigin, type TopicRecord} from '../records/record.js'
import {isResolution, readSlackMessage} from '../slack/record.js'

/** Which of fa's own topics a record is on: it decides how a person reads it. */
export type TailKind = 'alerts' | 'dead-letters' | 'responses'

/**
 * One record of fa's own topics as a person reads it; records that are not what fa writes say so,
 * as do alerts and responses in a registry format that cannot be decoded (a dead letter's value
 * is shown as it is: often why it is one).
 */
export function renderTailRecord(kind: TailKind, record: TopicRecord, c: ChalkInstance, undecodable?: string): string {
  const time = c.dim(`${record.timestamp ?? ''} ${describeOrigin(record)}`)
  if (undecodable && kind !== 'dead-letters') return `${time}\n${c.yellow('?')} cannot be decoded: ${undecodable}\n\n`
  switch (kind) {
    case 'alerts':
      return `${time}\n${renderAlertRecord(record, c)}`
    case 'dead-letters':
      return `${time}\n${renderDeadLetter(
        {
          kind: 'dead-letter',
          pipeline: record.headers[Header.pipeline] ?? '(no pipeline)',
          reason: record.headers[Header.error] ?? '(no fa-error header)',
          output: record,
        },
        originOf(record.headers),
        c,
      )}`
    case 'responses':
      return `${time} ${renderResponse(record, c)}\n`
  }
}

/**
 * `--json`: the record as a fixture envelope. Alerts and responses, JSON objects fa writes, carry
 * their value as JSON (as `replay --dry-run --json` prints alerts: `jq .value.channel` works); a
 * dead letter keeps its original bytes, as text, whatever they are.
 */
export function tailEnvelope(kind: TailKind, record: TopicRecord): Envelope {
  if (kind === 'dead-letters') return toEnvelope(record)
  const decoded = decodeJsonObject(record.value)
  return toEnvelope(decoded.ok ? {...record, value: decoded.value} : record)
}

/** An alert on slack-messages as replay shows it (recipient, header, text, fields), or an update of one. */
function renderAlertRecord(record: TopicRecord, c: ChalkInstance): string {
  const {decoded, checked} = readSlackMessage(record)
  if (!checked.ok) return `${c.yellow('?')} not a Slack message fa would post: ${checked.reason}\n\n`
  const pipeline = record.headers[Header.pipeline] ?? '(no pipeline)'
  const output = {...record, value: decoded.ok ? decoded.value : null}
  const {alertId} = checked.message
  const revision = Number(record.headers[Header.revision] ?? 0)
  return revision > 0
    ? renderAlert({kind: 'update', pipeline, alertId, revision, resolved: isResolution(record), output}, c)
    : renderAlert({kind: 'alert', pipeline, alertId, output}, c)
}

/** A delivery outcome on slack-responses: delivered where and when, or the error; a tombstone removed it. */
function renderResponse(record: TopicRecord, c: ChalkInstance): string {
  if (record.value === null) return `${c.dim('∅')} ${record.key ?? ''} ${c.dim('response removed (tombstone)')}`
  const decoded = decodeJsonObject(record.value)
  if (!decoded.ok) return `${c.yellow('?')} ${record.key ?? ''} not a response fa writes: ${decoded.reason}`
  const r = decoded.value
  const attempts = typeof r.attempts === 'number' ? `, ${r.attempts} attempt(s)` : ''
  if (r.ok === true)
    return (
      `${c.green('✓')} ${String(r.alertId)} → ${c.cyan(String(r.channel))} ts ${String(r.ts)} ` +
      `delivered ${String(r.deliveredAt)}${c.dim(attempts)}`
    )
  return `${c.red('✗')} ${String(r.alertId)} → ${c.cyan(String(r.channel))} ${c.red(String(r.error))}${c.dim(attempts)}`
}
