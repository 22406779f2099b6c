import type {ChalkInstance} from 'chalk'

import {describeOrigin, type TopicRecord} from '../records/record.js'
import {INCIDENT_COUNTS, type PipelineCounts, type Summary} from '../pipeline/summary.js'
import type {Outcome} from '../pipeline/topology.js'
import type {Block, SlackMessage} from '../slack/blocks.js'
import {blockKitBuilderLink} from '../slack/builder-link.js'
import {MRKDWN_BOLD, MRKDWN_CODE} from '../slack/mrkdwn.js'
import {plural} from './plural.js'
import {printable} from './printable.js'

/** Slack shows `&lt;` as `<`; so does the terminal. */
const unescape = (text: string) => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')

/**
 * Slack's *bold* and ```code``` as the terminal shows them: code as typed, asterisks and all;
 * markers of other styles stay as typed.
 */
const toTerminal = (text: string, c: ChalkInstance) =>
  text
    .split(MRKDWN_CODE)
    .map((part, i) =>
      i % 2 === 0
        ? unescape(part.replace(MRKDWN_BOLD, (_, before: string, bold: string) => before + c.bold(bold)))
        : part.startsWith('```')
          ? c.yellow(unescape(part.slice(3, -3)))
          : unescape(part),
    )
    .join('')

/**
 * An alert as a person reads it in the terminal: recipient, header, text, fields; with `link`, a
 * Block Kit Builder link to see it as Slack shows it. Control characters are shown escaped. An
 * incident's update is marked `↻` with its revision, its final update (resolved) `✓`.
 */
export function renderAlert(
  outcome: Extract<Outcome, {kind: 'alert' | 'update'}>,
  c: ChalkInstance,
  {link = false}: {link?: boolean} = {},
): string {
  const message = outcome.output.value as unknown as SlackMessage
  const mark =
    outcome.kind === 'alert'
      ? c.green('▶')
      : outcome.resolved
        ? `${c.green('✓')} ${c.dim(`resolved, revision ${outcome.revision} of`)}`
        : `${c.yellow('↻')} ${c.dim(`update, revision ${outcome.revision} of`)}`
  const lines = [
    `${mark} ${c.bold(outcome.pipeline)} → ${c.cyan(printable(message.channel))}  ${c.dim(outcome.alertId)}`,
  ]
  for (const block of message.blocks) lines.push(...renderBlock(block, c))
  if (link) lines.push(`  ${c.dim('Block Kit Builder:')} ${blockKitBuilderLink(message.blocks)}`)
  return lines.join('\n') + '\n\n'
}

function renderBlock(block: Block, c: ChalkInstance): string[] {
  const raw = (block.text as {text?: string} | undefined)?.text
  const text = raw === undefined ? undefined : printable(raw)
  switch (block.type) {
    case 'header':
      return [`  ${c.bold.underline(text ?? '')}`]
    case 'section': {
      const out = text ? indent(toTerminal(text, c)) : []
      for (const field of (block.fields as Array<{text: string}> | undefined) ?? []) {
        const [label = '', ...value] = printable(field.text).split('\n')
        out.push(`  ${c.dim(unescape(label.replace(/^\*(.*)\*$/, '$1')) + ':')} ${unescape(value.join(' '))}`)
      }
      return out
    }
    case 'context':
      return ((block.elements as Array<{text: string}>) ?? []).map((e) => `  ${c.dim(unescape(printable(e.text)))}`)
    default:
      return [`  [${block.type}]`]
  }
}

const indent = (text: string) => text.split('\n').map((line) => `  ${line}`)

/** A dead letter names the record it came from and why. */
export function renderDeadLetter(
  outcome: Extract<Outcome, {kind: 'dead-letter'}>,
  source: Pick<TopicRecord, 'topic' | 'origin'>,
  c: ChalkInstance,
): string {
  return (
    `${c.red('✗')} ${c.bold('dead letter')} ${c.dim(describeOrigin(source))} ` +
    `${outcome.pipeline}: ${printable(outcome.reason)}\n\n`
  )
}

/** `1 incident opened`, `3 updates`, `1 resolved`: a stateful count in the summary line. */
export function incidentCount(name: (typeof INCIDENT_COUNTS)[number], n: number): string {
  if (name === 'incidents') return plural(n, 'incident', 'incidents') + ' opened'
  if (name === 'updates') return plural(n, 'update')
  return `${n} resolved`
}

/** The per-pipeline table every command prints at the end. */
export function renderSummary(summary: Summary, c: ChalkInstance, extra: Record<string, string | number> = {}): string {
  const reasons = [...new Set(Object.values(summary.pipelines).flatMap((p) => Object.keys(p.dropped)))].sort()
  const stateful = INCIDENT_COUNTS.filter((name) => Object.values(summary.pipelines).some((p) => p[name] !== undefined))
  const columns = ['read', 'alerts', ...stateful, ...reasons, 'dead letters']
  const cells = (p: PipelineCounts) =>
    [p.read, p.alerts, ...stateful.map((n) => p[n] ?? 0), ...reasons.map((r) => p.dropped[r] ?? 0), p.deadLetters].map(
      String,
    )
  const rows = Object.entries(summary.pipelines).map(([name, counts]) => [name, ...cells(counts)])
  const header = ['pipeline', ...columns]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  const totals = summary.totals
  const out = [
    c.bold(
      `${plural(summary.records, 'record')}: ${plural(totals.alerts, 'alert')}, ` +
        INCIDENT_COUNTS.filter((n) => totals[n] !== undefined)
          .map((n) => `${incidentCount(n, totals[n]!)}, `)
          .join('') +
        `${plural(totals.deadLetters, 'dead letter')}` +
        Object.entries(totals.dropped)
          .map(([r, n]) => `, ${n} ${r}`)
          .join('') +
        (summary.unrouted ? `, ${summary.unrouted} on topics no pipeline reads` : ''),
    ),
    c.dim(line(header)),
    ...rows.map(line),
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ]
  return out.join('\n') + '\n'
}
