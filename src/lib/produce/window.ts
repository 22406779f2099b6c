import {FaError} from '../errors.js'
import {parseDuration, parseTime, WHEN_EXPECTED} from '../when.js'

/** The rows a run asks for: `since` inclusive, `until` exclusive. */
export interface Window {
  since: Date
  until: Date
}

/** `--since checkpoint`: continue from the last successful run's high-water mark. */
export const CHECKPOINT = 'checkpoint'

/** `--since`: a duration before `now`, a timestamp, or `checkpoint`. */
export function parseSince(input: string, now: Date): Date | typeof CHECKPOINT {
  if (input.trim() === CHECKPOINT) return CHECKPOINT
  return parseTime('--since', input, now, `${WHEN_EXPECTED}, or "${CHECKPOINT}"`)
}

/** `--until`: a duration before `now` or a timestamp; `now` when not given. Never in the future. */
export function parseUntil(input: string | undefined, now: Date): Date {
  if (input === undefined) return now
  const until = parseTime('--until', input, now, WHEN_EXPECTED)
  if (until > now) {
    throw new FaError(`--until ${input}: ${until.toISOString()} is in the future`, {
      hint: 'rows that arrive later would be skipped by the next run; leave --until out for now',
    })
  }
  return until
}

/** How far before the checkpoint a `--since checkpoint` run re-reads, for rows that reach BigQuery late. */
export const DEFAULT_GRACE = '15m'

/** A grace such as `15m` or `1h30m` (`0` for none), in ms; `what` names it in the error. */
export function parseGrace(what: string, input: string): number {
  return /^\s*0+\s*$/.test(input) ? 0 : parseDuration(what, input)
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
