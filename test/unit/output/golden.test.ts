import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {compareGolden} from '../../../src/lib/output/golden.js'

const plain = new Chalk({level: 0})
const record = '{"topic":"fa-dead-letters","key":"k","value":null,"headers":{"fa-pipeline":"p"}}'

describe('compareGolden', () => {
  // Editors on Windows save one; fixtures accept it, so golden files (the same JSON Lines) do too.
  it('reads a golden file that starts with a UTF-8 byte-order mark', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-golden-')), 'expected.jsonl')
    writeFileSync(file, `\uFEFF${record}\r\n`)
    await expect(compareGolden(file, [record], plain)).resolves.toMatchObject({ok: true, differences: 0})
  })
})
