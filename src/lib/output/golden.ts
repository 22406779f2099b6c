import {readFile, writeFile} from 'node:fs/promises'

import type {ChalkInstance} from 'chalk'

import {FaError} from '../errors.js'
import {rawText} from '../records/record.js'
import type {ByteSink} from './writer.js'

/** Collects produced JSON Lines (one record per line) to compare with or write as a golden file. */
export class GoldenLines implements ByteSink {
  readonly lines: string[] = []

  write(bytes: Uint8Array): undefined {
    for (const line of rawText(bytes).split('\n')) if (line !== '') this.lines.push(line)
    return undefined
  }
}

export interface GoldenResult {
  ok: boolean
  /** A readable diff: what the golden file expects (-) against what was produced (+). */
  diff: string
  differences: number
}

/**
 * Compares produced JSON Lines with a golden file record by record, ignoring key order
 * inside each record, and shows the differing records as a pretty-printed diff.
 */
export async function compareGolden(
  file: string,
  actualLines: string[],
  c: ChalkInstance,
  maxShown = 10,
): Promise<GoldenResult> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FaError(`${file}: cannot read golden file (${(error as NodeJS.ErrnoException).code})`, {
      exit: 'input',
      hint: 'create it with --update',
    })
  }
  const expected = text.split('\n').filter((line) => line.trim() !== '')
  // Only a golden comparison needs a diff: not loaded by every replay.
  const {diffLines} = await import('diff')
  const out: string[] = []
  let differences = 0
  for (let i = 0; i < Math.max(expected.length, actualLines.length); i++) {
    const want = expected[i] === undefined ? undefined : canonical(expected[i]!, `${file}:${i + 1}`)
    const got = actualLines[i] === undefined ? undefined : canonical(actualLines[i]!, `output record ${i + 1}`)
    if (want === got) continue
    differences++
    if (differences > maxShown) continue
    out.push(
      c.bold(`record ${i + 1}${want === undefined ? ' (not expected)' : got === undefined ? ' (missing)' : ''}:`),
    )
    for (const part of diffLines(want ?? '', got ?? '')) {
      const lines = part.value.replace(/\n$/, '').split('\n')
      if (part.added) out.push(...lines.map((l) => c.green(`+ ${l}`)))
      else if (part.removed) out.push(...lines.map((l) => c.red(`- ${l}`)))
      else out.push(...lines.map((l) => c.dim(`  ${l}`)))
    }
  }
  if (differences > maxShown) out.push(`… and ${differences - maxShown} more differing records`)
  return {ok: differences === 0, diff: out.join('\n'), differences}
}

export async function writeGolden(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((line) => line + '\n').join(''))
}

/** Pretty JSON with sorted keys, so key order never counts as a difference. */
function canonical(line: string, where: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(line)), null, 2)
  } catch (error) {
    throw new FaError(`${where}: not valid JSON: ${(error as Error).message}`, {exit: 'input'})
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  )
}
