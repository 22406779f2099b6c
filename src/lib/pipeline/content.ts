/**
 * Slack mrkdwn with its untrusted parts escaped. Only `&`, `<` and `>` are control characters
 * (https://api.slack.com/reference/surfaces/formatting#escaping): escaping them is what stops
 * `<!channel>` pings and smuggled `<https://evil|links>`. Made by `md` (slack/mrkdwn.ts).
 */
export class Mrkdwn {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

/** What an alert type says; the framework escapes and fits it into Block Kit. */
export interface AlertContent {
  /** Slack user or channel id the alert goes to. */
  recipient: string
  /** Plain text (shown literally by Slack). */
  header: string
  /** Notification fallback and the first section; build it with `md` so values are escaped. */
  text: Mrkdwn
  /** Facts shown as two-column fields; values are plain text and get escaped. */
  fields?: Array<{label: string; value: string | number | null | undefined}>
  /** A longer detail (an error message), shown in a code block; plain text, escaped. */
  detail?: {label: string; value: string}
  /** Small print at the bottom: plain text, escaped. */
  context?: string[]
}
