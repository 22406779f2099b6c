import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'

import {countLines, readChunks} from '../../src/lib/fixtures/chunks.js'

const dir = mkdtempSync(path.join(tmpdir(), 'fa-lines-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** Every line of the files through readChunks, by file, and whether every chunk was numbered and cut as promised. */
async function readAll(files: string[], readSize: number): Promise<{lines: string[][]; wellFormed: boolean}> {
  const lines: string[][] = files.map(() => [])
  let wellFormed = true
  let index = 0
  let file = -1
  for await (const chunk of readChunks(files, readSize)) {
    if (chunk.firstLine === 1) file = files.indexOf(chunk.file, file + 1)
    const text = chunk.bytes.toString('utf8').split('\n')
    wellFormed &&=
      chunk.index === index++ &&
      chunk.file === files[file] &&
      chunk.firstLine === lines[file]!.length + 1 &&
      text.length === countLines(chunk.bytes)
    lines[file]!.push(...text)
  }
  return {lines, wellFormed}
}

describe('readChunks', () => {
  it('gives back every line of every file, in whole-line chunks, whatever the read size (lines across reads, split UTF-8, long lines)', async () => {
    let n = 0
    const fileContent = fc
      .tuple(
        fc.array(
          fc.string({unit: 'grapheme', maxLength: 40}).map((s) => s.replaceAll('\n', ' ')),
          {minLength: 1, maxLength: 30},
        ),
        fc.boolean(),
      )
      .map(([lines, trailingNewline]) => lines.join('\n') + (trailingNewline ? '\n' : ''))
    await fc.assert(
      fc.asyncProperty(
        fc.array(fileContent, {minLength: 1, maxLength: 3}),
        fc.integer({min: 1, max: 64}),
        async (contents, readSize) => {
          const files = contents.map((content) => {
            const file = path.join(dir, `f${n++}.jsonl`)
            writeFileSync(file, content)
            return file
          })
          const read = await readAll(files, readSize)
          // A newline ends a line; one at the very end does not start another.
          const expected = contents.map((content) =>
            content === '' ? [] : (content.endsWith('\n') ? content.slice(0, -1) : content).split('\n'),
          )
          expect(read.lines).toEqual(expected)
          expect(read.wellFormed).toBe(true)
        },
      ),
      {numRuns: 200},
    )
  })

  it('reads a line of many reads in one piece', async () => {
    const file = path.join(dir, 'long.jsonl')
    const long = 'é'.repeat(100_000)
    writeFileSync(file, `a\n${long}\nb`)
    expect((await readAll([file], 1024)).lines).toEqual([['a', long, 'b']])
  })
})
