import {Mrkdwn} from '../pipeline/content.js'
import {ELLIPSIS} from './limits.js'

const CONTROL = /[&<>]/
const CONTROLS = /[&<>]/g
const ESCAPES: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;'}

export function escapeMrkdwn(value: string): string {
  // Most values need nothing: a regex test scans them without copying, which measured faster
  // than a charCode loop over the strings of an alert.
  return CONTROL.test(value) ? value.replace(CONTROLS, (c) => ESCAPES[c]!) : value
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

/** Slack's code markup, a ```block``` or an inline `span`: nothing inside is markup. Split on it, the odd parts are code. */
export const MRKDWN_CODE = /(```[\s\S]*?```|`[^`\n]+`)/

/** A style's markers as Slack reads them: they open after a non-word character and close before one, never at a space. */
const styleMarkers = (m: string) => new RegExp(`(^|[^\\w${m}])${m}(?!\\s)([^${m}\\n]+?)${m}(?=$|[^\\w${m}])`, 'g')
export const MRKDWN_BOLD = styleMarkers('\\*')
export const MRKDWN_ITALIC = styleMarkers('_')
export const MRKDWN_STRIKE = styleMarkers('~')
