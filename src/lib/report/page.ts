import {INCIDENT_COUNTS, type SummaryCounts} from '../pipeline/summary.js'
import type {Envelope} from '../records/envelope.js'
import type {Block} from '../slack/blocks.js'
import {blockKitBuilderLink} from '../slack/builder-link.js'
import type {Fate} from '../replay/explain.js'
import {incidentCount} from '../output/human.js'
import {plural} from '../output/plural.js'
import {blocksToHtml} from './blocks-html.js'
import {escapeHtml as esc, mrkdwnToHtml} from './mrkdwn-html.js'
import {STYLE} from './style.js'

/** One line of the dry run's report: a fate, with what it produced. */
export type ReportEntry = Fate & {output?: Envelope}

export interface ReportInput {
  files: string[]
  entries: ReportEntry[]
  summary: SummaryCounts & {toJSON(): object}
  warnings: string[]
}

/** Messages shown in full; past this the page would be too large for a browser to be of use. */
const MAX_MESSAGES = 2000

type Message = {channel?: string; text?: string; blocks?: Block[]}

const messageOf = (entry: ReportEntry): Message | undefined => {
  const value = entry.output?.value as Message | null | undefined
  return value && typeof value === 'object' && Array.isArray(value.blocks) ? value : undefined
}

const where = (entry: ReportEntry) => (entry.file === undefined ? entry.topic : `${entry.file}:${entry.line}`)

/**
 * The dry run as one self-contained page (inline CSS, no scripts, nothing fetched): every
 * message rendered as Slack shows Block Kit, grouped by recipient, with a Block Kit Builder link
 * each; then dead letters, drops and the summary. Any outcome kind that carries a Slack message
 * (alerts, and later updates or resolutions) is shown as one, labelled with its kind.
 */
export function reportPage({files, entries, summary, warnings}: ReportInput): string {
  const messages = entries.filter((entry) => messageOf(entry))
  const byRecipient = new Map<string, ReportEntry[]>()
  for (const entry of messages.slice(0, MAX_MESSAGES)) {
    const recipient = messageOf(entry)!.channel ?? entry.recipient ?? '(no recipient)'
    byRecipient.set(recipient, [...(byRecipient.get(recipient) ?? []), entry])
  }
  const deadLetters = entries.filter((entry) => entry.fate === 'dead-letter')
  const drops = entries.filter((entry) => !entry.output && !['table', 'unread'].includes(entry.fate))
  const cut =
    messages.length > MAX_MESSAGES
      ? `<p class="note">The first ${MAX_MESSAGES} of ${messages.length} messages are shown.</p>`
      : ''
  const title = `fa replay: ${files.map((file) => file.split('/').pop()).join(', ')}`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(title)}</h1>
${summaryHtml(summary)}
${warnings.map((warning) => `<p class="warning">${esc(warning)}</p>`).join('\n')}
<h2>Messages by recipient</h2>${cut}
${[...byRecipient].map(([recipient, list]) => recipientHtml(recipient, list)).join('\n') || '<p class="note">No messages.</p>'}
<h2 id="dead-letters">Dead letters (${deadLetters.length})</h2>
${table(
  ['source', 'pipeline', 'reason'],
  deadLetters.map((e) => [where(e), e.pipeline ?? '', e.detail ?? '']),
)}
<h2 id="drops">Dropped (${drops.length})</h2>
${table(
  ['source', 'pipeline', 'fate', 'why'],
  drops.map((e) => [where(e), e.pipeline ?? '', e.fate, e.detail ?? '']),
)}
</main></body></html>
`
}

function recipientHtml(recipient: string, list: ReportEntry[]): string {
  return `<section class="recipient"><h3>→ ${esc(recipient)} <small>${plural(list.length, 'message')}</small></h3>
${list.map(messageHtml).join('\n')}</section>`
}

function messageHtml(entry: ReportEntry): string {
  const message = messageOf(entry)!
  const blocks = message.blocks ?? []
  const kind = entry.fate === 'alerted' ? '' : `<span class="kind">${esc(entry.fate)}</span> `
  return `<article class="message" data-alert-id="${esc(entry.alertId ?? '')}">
<div class="meta">${kind}<b>${esc(entry.pipeline ?? '')}</b> · ${esc(where(entry))} · <code>${esc(entry.alertId ?? '')}</code></div>
<div class="slack">${blocksToHtml(blocks)}</div>
<div class="fallback"><span>Notification text</span> ${mrkdwnToHtml(message.text ?? '')}</div>
<a class="builder" href="${esc(blockKitBuilderLink(blocks))}" rel="noopener noreferrer">Open in Block Kit Builder</a>
</article>`
}

function summaryHtml(summary: ReportInput['summary']): string {
  const totals = summary.toJSON() as {
    alerts: number
    deadLetters: number
    dropped: Record<string, number>
  } & Partial<Record<(typeof INCIDENT_COUNTS)[number], number>>
  // Updates and resolutions too, once an alert type keeps incidents (as the terminal's summary shows them).
  const stateful = INCIDENT_COUNTS.filter((name) => totals[name] !== undefined)
  const line = [
    plural(summary.records, 'record'),
    plural(totals.alerts, 'alert'),
    ...stateful.map((name) => incidentCount(name, totals[name]!)),
    plural(totals.deadLetters, 'dead letter'),
    ...Object.entries(totals.dropped).map(([reason, n]) => `${n} ${reason}`),
  ].join(' · ')
  const reasons = [...new Set(Object.values(summary.pipelines).flatMap((p) => Object.keys(p.dropped)))].sort()
  const rows = Object.entries(summary.pipelines).map(([name, p]) => [
    name,
    String(p.read),
    String(p.alerts),
    ...stateful.map((n) => String(p[n] ?? 0)),
    ...reasons.map((r) => String(p.dropped[r] ?? 0)),
    String(p.deadLetters),
  ])
  const head = ['pipeline', 'read', 'alerts', ...stateful, ...reasons, 'dead letters']
  return `<p class="summary">${esc(line)}</p>${table(head, rows)}`
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '<p class="note">None.</p>'
  const cells = (row: string[], tag: string) => row.map((cell) => `<${tag}>${esc(cell)}</${tag}>`).join('')
  return `<table><thead><tr>${cells(head, 'th')}</tr></thead><tbody>${rows.map((row) => `<tr>${cells(row, 'td')}</tr>`).join('')}</tbody></table>`
}
