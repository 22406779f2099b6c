import {describe, expect, it} from 'vitest'

import {FaError} from '../../../src/lib/errors.js'
import {ResultsPageError} from '../../../src/lib/bigquery/query.js'
import {CHECKPOINT, makeWindow, parseGrace, parseSince, parseUntil} from '../../../src/lib/produce/window.js'

describe('window', () => {
  const now = new Date('2024-05-01T12:00:00.000Z')

  it('durations count back from now; timestamps need a zone', () => {
    expect(parseSince('30s', now)).toEqual(new Date('2024-05-01T11:59:30Z'))
    expect(parseSince('15m', now)).toEqual(new Date('2024-05-01T11:45:00Z'))
    expect(parseSince('1h', now)).toEqual(new Date('2024-05-01T11:00:00Z'))
    expect(parseSince('2d', now)).toEqual(new Date('2024-04-29T12:00:00Z'))
    expect(parseSince('1h30m', now)).toEqual(new Date('2024-05-01T10:30:00Z'))
    expect(parseSince('2024-04-30T08:00:00+02:00', now)).toEqual(new Date('2024-04-30T06:00:00Z'))
    expect(parseSince('2024-04-30 06:00:00.5Z', now)).toEqual(new Date('2024-04-30T06:00:00.500Z'))
    expect(parseSince('2024-04-30', now)).toEqual(new Date('2024-04-30T00:00:00Z'))
    expect(parseSince('checkpoint', now)).toBe(CHECKPOINT)
    expect(parseUntil(undefined, now)).toBe(now)
    expect(parseUntil('5m', now)).toEqual(new Date('2024-05-01T11:55:00Z'))
  })

  it('refuses what it cannot read, with the reason', () => {
    const message = (fn: () => unknown) => {
      try {
        fn()
      } catch (error) {
        expect(error).toBeInstanceOf(FaError)
        expect((error as FaError).exitCode).toBe(2)
        return (error as FaError).message
      }
      throw new Error('did not throw')
    }
    expect(message(() => parseSince('1 hour', now))).toMatch(/^--since 1 hour: expected a duration .*or "checkpoint"$/)
    expect(message(() => parseSince('2024-04-30T08:00', now))).toBe(
      '--since 2024-04-30T08:00: add a time zone (Z or +02:00)',
    )
    expect(message(() => parseSince('2024-02-30', now))).toBe('--since 2024-02-30: not a valid date or time')
    expect(message(() => parseSince('2024-13-01T00:00:00Z', now))).toBe(
      '--since 2024-13-01T00:00:00Z: not a valid date or time',
    )
    expect(message(() => parseUntil('checkpoint', now))).toMatch(/^--until checkpoint: expected a duration/)
    expect(message(() => parseUntil('2024-05-02', now))).toBe(
      '--until 2024-05-02: 2024-05-02T00:00:00.000Z is in the future',
    )
    expect(message(() => makeWindow(parseSince('1h', now) as Date, parseUntil('2h', now)))).toMatch(
      /^the window is empty: /,
    )
    expect(makeWindow(new Date('2024-05-01T11:00:00Z'), now)).toEqual({
      since: new Date('2024-05-01T11:00:00Z'),
      until: now,
    })
  })

  it('reads a grace as a duration or 0', () => {
    expect(parseGrace('--grace', '15m')).toBe(15 * 60_000)
    expect(parseGrace('--grace', '1h30m')).toBe(90 * 60_000)
    expect(parseGrace('--grace', '0')).toBe(0)
    expect(() => parseGrace('producers.grace.onboarding', '15')).toThrow(
      /^producers\.grace\.onboarding 15: expected a duration/,
    )
  })
})

describe('a results page that failed', () => {
  it('says which page of which job and the reason, without the request URL or page token', () => {
    const network = Object.assign(
      new Error(
        'request to http://127.0.0.1:4000/bigquery/v2/projects/p/queries/job-1?maxResults=2&pageToken=c2VjcmV0LXRva2Vu&location=EU failed, reason: socket hang up',
      ),
      {code: 'ECONNRESET'},
    )
    expect(new ResultsPageError(network, 2, 'job-1').message).toBe(
      'BigQuery: reading page 2 of job job-1 failed: socket hang up (ECONNRESET)',
    )
    const api = Object.assign(new Error('x'), {code: 404, errors: [{message: 'Not found: Job p:EU.job-1'}]})
    expect(new ResultsPageError(api, 3, 'job-1').message).toBe(
      'BigQuery: reading page 3 of job job-1 failed: Not found: Job p:EU.job-1',
    )
  })
})
