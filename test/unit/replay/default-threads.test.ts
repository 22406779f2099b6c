import {availableParallelism} from 'node:os'

import {describe, expect, it} from 'vitest'

import {defaultThreads, PARALLEL_BYTES} from '../../../src/lib/replay/dry-run.js'

const stateless = {statefulTopics: []}
const stateful = {statefulTopics: ['data-notifications-pipeline']}

describe('defaultThreads', () => {
  it('one thread below PARALLEL_BYTES, one per CPU up to 4 from it', () => {
    expect(defaultThreads(PARALLEL_BYTES - 1, stateless)).toBe(1)
    expect(defaultThreads(PARALLEL_BYTES, stateless)).toBe(Math.min(availableParallelism(), 4))
  })

  it('one thread when an alert type keeps state, whatever the size: each thread would run all its events', () => {
    expect(defaultThreads(PARALLEL_BYTES * 4, stateful)).toBe(1)
  })
})
