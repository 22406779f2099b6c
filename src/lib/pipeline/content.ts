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

/**
 * What an alert type's `message()` returned, checked where it leaves the user's code: a module in
 * plain JavaScript has no types to catch a missing recipient or a string where `md` belongs, and
 * Block Kit's builder would fail on it with a message naming none of them. Throws naming the field.
 */
export function checkContent(content: unknown): AlertContent {
  if (content === null || typeof content !== 'object') fail(`message() must return an object, not ${kindOf(content)}`)
  const {recipient, header, text, fields, detail, context} = content as Record<string, unknown>
  if (typeof recipient !== 'string' || recipient === '')
    fail(`recipient must be a Slack user or channel id, not ${kindOf(recipient)}`)
  if (header !== undefined && typeof header !== 'string') fail(`header must be a string, not ${kindOf(header)}`)
  // Duck-typed: a module may get its `md` from another copy of fa (bin/dev.js runs the sources).
  if (typeof (text as Mrkdwn | null)?.text !== 'string') fail(`text must be made with md\`…\`, not ${kindOf(text)}`)
  if (fields !== undefined) {
    if (!Array.isArray(fields)) fail('fields must be an array of {label, value}')
    fields.forEach((field: {label?: unknown} | null, i) => {
      if (typeof field?.label !== 'string') fail(`fields[${i}].label must be a string`)
    })
  }
  const {label, value} = (detail ?? {}) as {label?: unknown; value?: unknown}
  if (detail !== undefined && (typeof label !== 'string' || typeof value !== 'string'))
    fail('detail must be {label, value}, strings')
  if (context !== undefined && !(Array.isArray(context) && context.every((line) => typeof line === 'string')))
    fail('context must be an array of strings')
  return content as AlertContent
}

function fail(problem: string): never {
  throw new Error(problem.startsWith('message()') ? problem : `message(): ${problem}`)
}

const kindOf = (value: unknown) =>
  value === null || value === undefined
    ? String(value)
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`
