/** Control characters (but newline and tab) and the bidi overrides: never written raw to a terminal. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

/** `text` with every control character shown as an escape (`\u001b`), so a value cannot drive the terminal. */
export function printable(text: string): string {
  if (!UNPRINTABLE.test(text)) return text
  return text.replace(new RegExp(UNPRINTABLE, 'g'), (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
