import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {readLineBatches} from '../../src/lib/fixtures/lines.js'

const dir = mkdtempSync(path.join(tmpdir(), 'fa-lines-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

async function readAll(file: string, highWaterMark: number): Promise<{lines: string[]; numbered: boolean}> {
  const lines: string[] = []
  let numbered = true
  for await (const batch of readLineBatches(file, highWaterMark)) {
    numbered &&= batch.firstLine === lines.length + 1
    lines.push(...batch.lines)
  }
  return {lines, numbered}
}

describe('readLineBatches', () => {
  it('gives back every line, numbered, whatever the read size (lines across reads, split UTF-8, long lines)', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({unit: 'grapheme', maxLength: 40}).map((s) => s.replaceAll('\n', ' ')), {minLength: 1, maxLength: 30}),
        fc.boolean(),
        fc.integer({min: 1, max: 64}),
        async (lines, trailingNewline, highWaterMark) => {
          const file = path.join(dir, `f${n++}.jsonl`)
          const content = lines.join('\n') + (trailingNewline ? '\n' : '')
          writeFileSync(file, content)
          const read = await readAll(file, highWaterMark)
          // A newline ends a line; one at the very end does not start another.
          const expected = content === '' ? [] : (content.endsWith('\n') ? content.slice(0, -1) : content).split('\n')
          expect(read.lines).toEqual(expected)
          expect(read.numbered).toBe(true)
        },
      ),
      {numRuns: 200},
    )
  })

  it('reads a line of many reads in one piece', async () => {
    const file = path.join(dir, 'long.jsonl')
    const long = 'é'.repeat(100_000)
    writeFileSync(file, `a\n${long}\nb`)
    expect((await readAll(file, 1024)).lines).toEqual(['a', long, 'b'])
  })
})
