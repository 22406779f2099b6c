import type {ChalkInstance} from 'chalk'

/** What a `fa send` run did; the JSON summary is this plus run details. */
export interface SendCounts {
  /** Records taken from slack-messages. */
  read: number
  /** Posted, or found already posted by a history lookup (counted in foundInHistory too). */
  delivered: number
  /** Already had a successful response: not posted again. */
  skipped: number
  /** Final failures (permanent errors, retries exhausted), recorded and dead-lettered. */
  failed: number
  /** Payloads that failed validation: recorded, dead-lettered, never posted. */
  invalid: number
  /** Records written to the dead-letter topic (failed + invalid, once recorded). */
  deadLettered: number
  /** 429 answers from Slack. */
  rateLimited: number
  /** Retries after transient errors (429s not counted). */
  retries: number
  /** Alerts found in channel history instead of being posted again. */
  foundInHistory: number
  /** Alerts delivered with a history lookup first (in doubt after a crash or stop). */
  inDoubt: number
  /** Taken on but left for the next run by a stop (neither recorded nor committed). */
  unfinished: number
  /** Older than the maximum alert age (slack.maxAlertAge, --max-age): recorded as expired, never posted. */
  expired: number
  /** --dry-run: alerts that would be posted (each once). */
  wouldPost: number
  /** --dry-run: incident updates that would be applied to their posts with chat.update (each revision once). */
  wouldUpdate: number
}

export const emptyCounts = (): SendCounts => ({
  read: 0,
  delivered: 0,
  skipped: 0,
  failed: 0,
  invalid: 0,
  deadLettered: 0,
  rateLimited: 0,
  retries: 0,
  foundInHistory: 0,
  inDoubt: 0,
  unfinished: 0,
  expired: 0,
  wouldPost: 0,
  wouldUpdate: 0,
})

export interface SendSummary {
  counts: SendCounts
  group: string
  follow: boolean
  dryRun: boolean
  channel: string | null
  stoppedBy: 'end' | 'signal' | 'error'
  /** Responses read from slack-responses at start. */
  responses: {read: number; delivered: number; ms: number}
  /** The workspace-wide cap (messages per minute) in force. */
  workspacePerMinute: number
  ms: number
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** The end-of-run summary as a person reads it. */
export function renderSendSummary(s: SendSummary, c: ChalkInstance): string {
  const n = s.counts
  const seconds = (s.ms / 1000).toFixed(1)
  const lines: string[] = []
  if (s.dryRun) {
    lines.push(
      c.bold(
        `dry run: ${plural(n.read, 'message')} read: ${n.wouldPost} would be posted, ` +
          (n.wouldUpdate > 0 ? `${plural(n.wouldUpdate, 'update')} applied to them, ` : '') +
          `${n.skipped} ` +
          `skipped (already delivered), ${n.expired} expired (too old to send), ${n.invalid} invalid ` +
          `(would be dead-lettered)`,
      ),
    )
  } else {
    lines.push(
      c.bold(
        `${plural(n.read, 'message')} read in ${seconds} s: ${n.delivered} delivered, ${n.skipped} ` +
          `skipped (already delivered), ` +
          `${n.expired} expired (too old to send), ${n.failed} failed, ${n.invalid} invalid, ` +
          `${n.deadLettered} dead-lettered`,
      ),
    )
    lines.push(
      `  Slack: ${plural(n.rateLimited, '429')} (rate limited), ${plural(n.retries, 'retry', 'retries')}, ` +
        `${n.inDoubt} in doubt looked up, ${n.foundInHistory} found already posted`,
    )
    if (n.unfinished > 0)
      lines.push(
        c.yellow(`  ${plural(n.unfinished, 'message')} left for the next run (stopped before they were delivered)`),
      )
  }
  const details = [
    `group ${s.group}`,
    `responses table ${s.responses.delivered} delivered (${s.responses.read} read in ${s.responses.ms} ms)`,
  ]
  if (s.channel) details.push(`every message to ${s.channel}`)
  if (!s.dryRun) details.push(`workspace cap ${s.workspacePerMinute}/min`)
  if (s.stoppedBy === 'signal') details.push('stopped by a signal')
  lines.push(c.dim(`  ${details.join(', ')}`))
  return lines.join('\n') + '\n'
}

/** The `--json` summary: one object. */
export function sendSummaryJson(s: SendSummary): Record<string, unknown> {
  return {
    ...s.counts,
    group: s.group,
    follow: s.follow,
    dryRun: s.dryRun,
    channel: s.channel,
    stoppedBy: s.stoppedBy,
    responses: s.responses,
    workspacePerMinute: s.workspacePerMinute,
    ms: s.ms,
  }
}
