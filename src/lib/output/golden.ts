import {readFile, writeFile} from 'node:fs/promises'

import type {ChalkInstance} from 'chalk'

import {FaError} from '../errors.js'
import {rawText} from '../records/record.js'
import {changeLine, fieldChanges, identities, recordHeader, type GoldenRecord} from './golden-diff.js'
import {plural} from './plural.js'
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
  /** A readable diff: each differing record once, by what it is, with only its changed fields. */
  diff: string
  differences: number
  /** The differences by kind: records expected but not produced, produced but not expected, changed. */
  missing: number
  unexpected: number
  changed: number
}

/**
 * Compares produced JSON Lines with a golden file record by record, matching records by what
 * they are (alert id; topic, key and source for a dead letter), not where they stand: a missing
 * or extra record is one line, a changed one shows its changed fields (path, old, new).
 */
export async function compareGolden(
  file: string,
  actualLines: string[],
  c: ChalkInstance,
  maxShown = 10,
): Promise<GoldenResult> {
  let text: string
  try {
    // A byte-order mark at the start is skipped, as in fixtures.
    text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '')
  } catch (error) {
    throw new FaError(`${file}: cannot read golden file (${(error as NodeJS.ErrnoException).code})`, {
      exit: 'input',
      hint: 'create it with --update',
    })
  }
  const expected: GoldenRecord[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') expected.push(parse(line, `${file}:${i + 1}`))
  })
  const actual = actualLines.map((line, i) => parse(line, `output record ${i + 1}`))
  const produced = new Map(identities(actual).map((id, i) => [id, actual[i]!]))
  const expectedIds = identities(expected)
  const out: string[] = []
  const counts = {missing: 0, unexpected: 0, changed: 0}
  const show = (line: string, more: string[] = []) => {
    if (counts.missing + counts.unexpected + counts.changed <= maxShown) out.push(line, ...more)
  }
  expectedIds.forEach((id, i) => {
    const want = expected[i]!
    const got = produced.get(id)
    produced.delete(id)
    if (!got) {
      counts.missing++
      show(`${c.red('-')} ${c.bold('missing')}     ${recordHeader(want)}`)
      return
    }
    const changes = fieldChanges(want, got)
    if (changes.length === 0) return
    counts.changed++
    show(
      `${c.yellow('~')} ${c.bold('changed')}     ${recordHeader(got)}`,
      changes.map((change) => changeLine(change, c)),
    )
  })
  for (const extra of produced.values()) {
    counts.unexpected++
    show(`${c.green('+')} ${c.bold('unexpected')}  ${recordHeader(extra)}`)
  }
  const differences = counts.missing + counts.unexpected + counts.changed
  if (differences > maxShown) out.push(`… and ${plural(differences - maxShown, 'more differing record')}`)
  return {ok: differences === 0, diff: out.join('\n'), differences, ...counts}
}

export async function writeGolden(file: string, lines: string[]): Promise<void> {
  await writeFile(file, lines.map((line) => line + '\n').join(''))
}

/** A golden line as a record; one that is not a JSON object is bad input, named by FILE:LINE. */
function parse(line: string, where: string): GoldenRecord {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (error) {
    throw new FaError(`${where}: not valid JSON: ${(error as Error).message}`, {exit: 'input'})
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new FaError(`${where}: a record must be a JSON object`, {exit: 'input'})
  return json as GoldenRecord
}
