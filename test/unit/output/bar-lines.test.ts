import {describe, expect, it, vi} from 'vitest'

import {routeLinesAboveBar} from '../../../src/lib/output/bar-lines.js'
import {createLogger} from '../../../src/lib/output/log.js'
import {steadyLog} from '../../../src/lib/output/steady.js'

const sink = () => {
  const lines: string[] = []
  return {lines, stream: {write: (text: string) => (lines.push(text), true)} as unknown as NodeJS.WritableStream}
}

describe('log lines and the progress bar', () => {
  it('while a bar shows, log lines go above it instead of into the stream; after, straight to the stream', () => {
    const {lines, stream} = sink()
    const log = createLogger({stream, format: 'json'})
    const above: string[] = []
    const unroute = routeLinesAboveBar(stream, (text) => above.push(text))
    log.info('during')
    unroute()
    log.info('after')
    expect(above.map((l) => JSON.parse(l).msg)).toEqual(['during'])
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['after'])
  })
})

describe('steadyLog', () => {
  it('logs at every tick, also when nothing happened, with the fields read then; never two reads at once', async () => {
    vi.useFakeTimers()
    try {
      const {lines, stream} = sink()
      const log = createLogger({stream, format: 'json'})
      let n = 0
      let release: () => void = () => {}
      const stop = steadyLog(log, 'progress', 1_000, async () => {
        n++
        if (n === 2) await new Promise<void>((resolve) => (release = resolve))
        return {n}
      })
      await vi.advanceTimersByTimeAsync(1_000)
      await vi.advanceTimersByTimeAsync(3_000) // the second read hangs: no third one meanwhile
      expect(n).toBe(2)
      release()
      await vi.advanceTimersByTimeAsync(1_000)
      stop()
      await vi.advanceTimersByTimeAsync(5_000)
      expect(lines.map((l) => JSON.parse(l)).map((l) => [l.msg, l.n])).toEqual([
        ['progress', 1],
        ['progress', 2],
        ['progress', 3],
      ])
    } finally {
      vi.useRealTimers()
    }
  })
})
