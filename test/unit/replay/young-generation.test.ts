import v8 from 'node:v8'

import {describe, expect, it} from 'vitest'

import {YOUNG_GENERATION_CAP, YoungGenerationCap} from '../../../src/lib/replay/young-generation.js'

const newSpace = () => v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size

/** Allocates ~40 MB that all survives (as open incidents do), checking between steps; the largest new space seen. */
function allocateKept(between: () => void): number {
  const kept: unknown[] = []
  let largest = 0
  for (let step = 0; step < 200; step++) {
    kept.push(Array.from({length: 2_000}, (_, i) => ({step, i, text: `text ${step} ${i}`})))
    between()
    largest = Math.max(largest, newSpace())
  }
  return largest
}

describe('YoungGenerationCap', () => {
  it('holds new space at the cap while checked, and lets V8 grow it again once released', () => {
    const cap = new YoungGenerationCap()
    // Checked between steps, a step may take it past the cap once; unchecked it grows to 64 MiB and more.
    expect(allocateKept(() => cap.check())).toBeLessThan(2 * YOUNG_GENERATION_CAP)
    cap.release()
    expect(allocateKept(() => {})).toBeGreaterThan(YOUNG_GENERATION_CAP)
  })
})
