import {describe, expect, it} from 'vitest'

import {commitMetadata, commitTimeOf} from '../../../src/lib/kafka/commit-time.js'
import {encodeMeta} from '../../../src/lib/send/partitions.js'

describe('commit times in commit metadata', () => {
  it("reads fa enrich's, fa offsets reset's and fa send's, and nothing from anyone else's", () => {
    expect(commitTimeOf(commitMetadata('fa-enrich', 1764590000000))).toBe(1764590000000)
    expect(commitTimeOf(commitMetadata('fa-offsets-reset', 1764590000001))).toBe(1764590000001)
    const send = encodeMeta({state: 'open', instance: 'h-1', at: 1764590000123, doubt: [[40, 48]]})
    expect(commitTimeOf(send)).toBe(1764590000123)
    expect(commitTimeOf(null)).toBeNull()
    expect(commitTimeOf('')).toBeNull()
    expect(commitTimeOf('connect-offsets what=1')).toBeNull()
    expect(commitTimeOf('flat=1 at=12x')).toBeNull()
  })
})
