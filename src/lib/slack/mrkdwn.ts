import {ELLIPSIS} from './limits.js'

/**
 * Slack mrkdwn with its untrusted parts escaped. Only `&`, `<` and `>` are control characters
 * (https://api.slack.com/reference/surfaces/formatting#escaping): escaping them is what stops
 * `<!channel>` pings and smuggled `<https://evil|links>`.
 */
export class Mrkdwn {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

const AMP = 38
const LT = 60
const GT = 62

export function escapeMrkdwn(value: string): string {
  // One charCode pass measured ~2x faster than a regex test-and-replace; unchanged values are not copied.
  let out = ''
  let last = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c !== AMP && c !== LT && c !== GT) continue
    out += value.slice(last, i) + (c === AMP ? '&amp;' : c === LT ? '&lt;' : '&gt;')
    last = i + 1
  }
  return last === 0 ? value : out + value.slice(last)
}

/** Tagged template: `md\`*${name}* failed\`` escapes every interpolated value, not the template's own markup. */
export function md(strings: TemplateStringsArray, ...values: unknown[]): Mrkdwn {
  let text = strings[0]!
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    text += (value instanceof Mrkdwn ? value.text : escapeMrkdwn(String(value ?? ''))) + strings[i + 1]!
  }
  return new Mrkdwn(text)
}

/** Cuts plain text to `max` characters, ending with a visible ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text
  return text.slice(0, max - ELLIPSIS.length).replace(/[\uD800-\uDBFF]$/, '') + ELLIPSIS
}

/** Cuts mrkdwn without splitting an escape entity such as `&amp;`. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text
  const cut = truncate(text, max).slice(0, -ELLIPSIS.length)
  return cut.replace(/&[a-z]{0,3}$/, '') + ELLIPSIS
}
