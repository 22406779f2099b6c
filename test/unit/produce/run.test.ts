import {describe, expect, it} from 'vitest'

import {checkpointDecision} from '../../../src/lib/produce/outcome.js'

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
