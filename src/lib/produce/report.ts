import type {ChalkInstance} from 'chalk'

import {formatBytes} from '../bigquery/client.js'
import type {DryRun} from '../bigquery/query.js'
import type {Envelope} from '../records/envelope.js'
import type {CheckpointChange} from './checkpoint-admin.js'
import {ProduceHeader} from './headers.js'
import type {ProduceSummary} from './summary.js'

/* What `fa produce` prints: the estimate, each record, the summary (for people and as JSON), checkpoint changes. */

const SUMMARY_KEYS_FIRST = [
  'producer',
  'rows',
  'events',
  'deadLetters',
  'topic',
  'window',
  'bytesProcessed',
  'jobId',
  'durationMs',
] as const satisfies ReadonlyArray<keyof ProduceSummary>

/** One line for people: what a real run would cost (the estimate itself is free), and whether the preview bills it now. */
export function describeEstimate(estimate: DryRun, pricePerTiB: number, preview?: number): string {
  const cost =
    `about $${formatCost(estimate.cost)} at $${pricePerTiB}/TiB ` + `(cap: ${formatBytes(estimate.maximumBytesBilled)})`
  const now =
    preview === undefined
      ? 'this estimate is free'
      : `the preview runs the query now and bills that, showing the events of at most ${preview} rows`
  return `BigQuery would process ${formatBytes(estimate.bytesProcessed)}: a run bills ${cost}; ${now}`
}

export function formatCost(cost: number): string {
  if (cost >= 0.01 || cost === 0) return cost.toFixed(2)
  return cost >= 0.000001 ? String(Number(cost.toPrecision(2))) : '0.000001 or less'
}

/** A produced event or a dead letter, one line for people. */
export function describeRecord(record: Envelope, kind: 'event' | 'dead-letter', c: ChalkInstance): string {
  if (kind === 'event')
    return `${c.green('→')} ${record.topic} ${c.bold(String(record.key))} ${JSON.stringify(record.value)}`
  return (
    `${c.red('✗')} dead letter, row ${record.headers?.[ProduceHeader.row]}: ` +
    `${record.headers?.[ProduceHeader.error]}`
  )
}

/** The `--json` summary: one line. */
export function summaryJson(summary: ProduceSummary): string {
  // These keys first, in this order, then the rest as the summary has them.
  const first = Object.fromEntries(SUMMARY_KEYS_FIRST.map((key) => [key, summary[key]]))
  return JSON.stringify({...first, ...summary})
}

/** The end-of-run summary as a person reads it. */
export function describeSummary(s: ProduceSummary, c: ChalkInstance): string[] {
  const window = `${s.window.since} → ${s.window.until}`
  const dead =
    s.deadLetters > 0
      ? c.red(`, ${s.deadLetters} dead letter${s.deadLetters === 1 ? '' : 's'} to ${s.deadLetterTopic}`)
      : ''
  if (s.dryRun && s.preview === undefined) {
    return [
      c.bold('dry run: estimate only; nothing was queried or produced (--preview N runs the query and shows events)'),
      c.dim(`  window ${window}`),
    ]
  }
  if (s.dryRun) {
    return [
      c.bold(
        `preview: ${s.rows} rows (at most ${s.preview}) would give ${s.events} ` +
          `event${s.events === 1 ? '' : 's'} for ${s.topic}${dead}; nothing was produced`,
      ),
      c.dim(`  window ${window}, job ${s.jobId ?? '-'} (billed)`),
    ]
  }
  if (s.jobId === null) return [`${s.producer}: nothing to do: ${s.checkpoint.note}`]
  const cp = s.checkpoint
  const checkpoint = cp.advanced
    ? `advanced to ${cp.current}${cp.previous ? c.dim(` (was ${cp.previous})`) : ''}`
    : c.yellow(`stays at ${cp.current ?? '(none)'}: ${cp.note}`)
  return [
    c.bold(
      `produced ${s.events} event${s.events === 1 ? '' : 's'} from ${s.rows} rows of ` +
        `${s.producer} to ${s.topic}${dead}`,
    ),
    `  window      ${window}${s.grace && s.grace !== '0' ? c.dim(` (from ${s.grace} before the checkpoint, for late rows)`) : ''}`,
    `  BigQuery    job ${s.jobId}: ${s.bytesProcessed} bytes ` +
      `processed, ${s.bytesBilled} billed ($${formatCost(s.cost)})`,
    `  checkpoint  ${checkpoint}`,
    c.dim(`  took ${s.durationMs} ms`),
  ]
}

/** `--checkpoint show|set|reset`: the checkpoint, or how it changed, one line for people. */
export function describeCheckpointChange(change: CheckpointChange, kind: string, c: ChalkInstance): string {
  const {producer} = change
  if (kind === 'show') {
    const cp = change.checkpoint
    return cp
      ? `${producer}: checkpoint ${c.bold(cp.until)} ${c.dim(`(written ${cp.committedAt} by ${cp.host}, job ${cp.jobId ?? '-'}, ${cp.events} events)`)}`
      : `${producer}: no checkpoint in ${change.topic}`
  }
  return `${producer}: checkpoint ${change.previous ?? '(none)'} → ${c.bold(change.current ?? '(none)')}`
}
