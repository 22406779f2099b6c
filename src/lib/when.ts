import {FaError} from './errors.js'
import {parseDuration as durationOf} from './pipeline/duration.js'

export const WHEN_EXPECTED =
  'expected a duration (30s, 15m, 1h, 2d, 1h30m), an ISO timestamp with a time zone (2024-05-01T10:00:00Z), or a date'

/** A point in time given on the command line: a duration before `now`, an ISO timestamp with its zone, or a date (midnight UTC). */
export function parseTime(flag: string, input: string, now: Date, expected: string): Date {
  const text = input.trim()
  const ms = durationOf(text)
  if (ms !== undefined) return new Date(now.getTime() - ms)
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

/** A duration (30s, 15m, 24h, 2d, 1h30m) in milliseconds. */
export function parseDuration(flag: string, input: string): number {
  const ms = durationOf(input)
  if (ms === undefined)
    throw new FaError(`${flag} ${input}: expected a duration (30s, 15m, 24h, 2d, 1h30m)`, {exit: 'usage'})
  return ms
}
