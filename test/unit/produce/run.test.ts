import {describe, expect, it} from 'vitest'

import {FaError} from '../../../src/lib/errors.js'
import {checkpointDecision, explainFailure} from '../../../src/lib/produce/outcome.js'

const at = (hhmm: string) => `2024-05-01T${hhmm}:00Z`

describe('checkpoint decisions', () => {
  const w = (since: string, until: string) => ({since: new Date(at(since)), until: new Date(at(until))})
  it('advance from none, or from a window that starts at or before the mark; never back, never over a gap', () => {
    expect(checkpointDecision(null, w('10:00', '11:00'))).toEqual({advance: true})
    expect(checkpointDecision('2024-05-01T10:00:00.000Z', w('10:00', '11:00'))).toEqual({advance: true})
    expect(checkpointDecision('2024-05-01T10:30:00.000Z', w('10:00', '11:00'))).toEqual({advance: true})
    expect(checkpointDecision('2024-05-01T11:00:00.000Z', w('10:00', '11:00'))).toMatchObject({advance: false})
    expect(checkpointDecision('2024-05-01T09:00:00.000Z', w('10:00', '11:00'))).toMatchObject({
      advance: false,
      note: expect.stringContaining('--since 2024-05-01T09:00:00.000Z'),
    })
  })
})

describe('a failed run, explained', () => {
  it('counts what was produced before the failure in the right number', () => {
    const failure = new FaError('Kafka went away', {exit: 'kafka'})
    expect((explainFailure(failure, {produced: 1, dryRun: false}) as FaError).hint).toBe(
      '1 record was produced before the failure and the checkpoint was not advanced: the next run repeats it with the same event ids',
    )
    expect((explainFailure(failure, {produced: 3, dryRun: false}) as FaError).hint).toMatch(
      /^3 records were produced before the failure .* repeats them /,
    )
  })
})
