import {FaError} from '../errors.js'

/** The rows a run asks for: `since` inclusive, `until` exclusive. */
export interface Window {
  since: Date
  until: Date
}

/** `--since checkpoint`: continue from the last successful run's high-water mark. */
export const CHECKPOINT = 'checkpoint'

const UNIT_MS = {s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000} as const
const EXPECTED =
  'expected a duration (30s, 15m, 1h, 2d, 1h30m), an ISO timestamp with a time zone (2024-05-01T10:00:00Z), or a date'

/** `--since`: a duration before `now`, a timestamp, or `checkpoint`. */
export function parseSince(input: string, now: Date): Date | typeof CHECKPOINT {
  if (input.trim() === CHECKPOINT) return CHECKPOINT
  return parseTime('--since', input, now, `${EXPECTED}, or "${CHECKPOINT}"`)
}

/** `--until`: a duration before `now` or a timestamp; `now` when not given. Never in the future. */
export function parseUntil(input: string | undefined, now: Date): Date {
  if (input === undefined) return now
  const until = parseTime('--until', input, now, EXPECTED)
  if (until > now) {
    throw new FaError(`--until ${input}: ${until.toISOString()} is in the future`, {
      hint: 'rows that arrive later would be skipped by the next run; leave --until out for now',
    })
  }
  return until
}

/** How far before the checkpoint a `--since checkpoint` run re-reads, for rows that reach BigQuery late. */
export const DEFAULT_GRACE = '15m'

/** A duration such as `15m` or `1h30m` (`0` for none), in ms; `what` names it in the error. */
export function parseDuration(what: string, input: string): number {
  const text = input.trim()
  if (/^0+$/.test(text)) return 0
  if (!/^(?:\d+[smhd])+$/.test(text))
    throw new FaError(`${what} ${input}: expected a duration (30s, 15m, 1h, 2d, 1h30m) or 0`, {exit: 'usage'})
  return durationMs(text)
}

function durationMs(text: string): number {
  let ms = 0
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g))
    ms += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]
  return ms
}

/** The window, once `since` is known (the checkpoint resolved); refuses an empty one. */
export function makeWindow(since: Date, until: Date): Window {
  if (since >= until) {
    throw new FaError(
      `the window is empty: --since ${since.toISOString()} is not before --until ${until.toISOString()}`,
      {hint: 'since is inclusive, until exclusive'},
    )
  }
  return {since, until}
}

function parseTime(flag: string, input: string, now: Date, expected: string): Date {
  const text = input.trim()
  if (/^(?:\d+[smhd])+$/.test(text)) return new Date(now.getTime() - durationMs(text))
  // A date is midnight UTC; a time of day needs its zone, or it would depend on the host's.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(text)
  const dateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/i.test(text)
  if (!date && !dateTime) {
    const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(text)
    throw new FaError(`${flag} ${input}: ${zoneless ? 'add a time zone (Z or +02:00)' : expected}`, {exit: 'usage'})
  }
  const day = text.slice(0, 10)
  const parsed = new Date(date ? `${day}T00:00:00Z` : text.replace(' ', 'T'))
  // Date takes 2024-02-30 as March 1st: the day must read back as written.
  if (Number.isNaN(parsed.getTime()) || new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day) {
    throw new FaError(`${flag} ${input}: not a valid date or time`, {exit: 'usage'})
  }
  return parsed
}
