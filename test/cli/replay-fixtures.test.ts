import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'

const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-fixtures-'))

describe('fixtures that mean what users think', () => {
  it('fa replay - reads standard input, naming it stdin', async () => {
    const {code, stdout} = await runFa(['replay', '-', '--dry-run', '--only', 'unassigned'], {
      input: readFileSync(fixture, 'utf8'),
    })
    expect(code).toBe(0)
    expect(stdout).toContain('stdin:11  connector-provisioning-failed  unassigned')
    expect(stdout).toMatch(/29 records: 7 alerts/)
    const bad = await runFa(['replay', '-', '--dry-run'], {input: '{"topic":"t","vaule":{}}\n'})
    expect(bad.code).toBe(3)
    expect(bad.stderr).toMatch(/^Error: stdin:1: unknown key "vaule" \(did you mean "value"\?\)/)
    const empty = await runFa(['replay', '-', '--dry-run'], {input: '\n'})
    expect(empty.stdout).toContain('warning: stdin holds no records')
  })

  it('accepts a UTF-8 byte-order mark at the start of a file', async () => {
    const file = path.join(tmp(), 'bom.jsonl')
    writeFileSync(file, '\uFEFF' + readFileSync(fixture, 'utf8'))
    const {code, stdout} = await runFa(['replay', file, '--dry-run'])
    expect(code).toBe(0)
    expect(stdout).toMatch(/29 records: 7 alerts, 6 incidents opened, 3 updates, 1 resolved, 5 dead letters/)
  })

  it('shows control characters in values escaped, never raw, in the terminal', async () => {
    const file = path.join(tmp(), 'control.jsonl')
    const text = readFileSync(fixture, 'utf8').replace('"orders-postgres-cdc"', '"orders\\u001b[2J\\u0007-cdc"')
    writeFileSync(file, text.replace('"{oops"', '"{oops\\u001b]0;pwned\\u0007"'))
    const {code, stdout} = await runFa(['replay', file, '--dry-run', '--explain'])
    expect(code).toBe(0)
    // eslint-disable-next-line no-control-regex
    expect(stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/)
    expect(stdout).toContain('Connector failed to provision: orders\\u001b[2J\\u0007-cdc')
    expect(stdout).toContain('control.jsonl:13  connector-provisioning-failed  dead-letter: value is not valid JSON')
  })

  it('shows control characters escaped in the error for a bad line too (a JSON error quotes the line, an unknown key)', async () => {
    const file = path.join(tmp(), 'bad.jsonl')
    writeFileSync(file, 'x\u001b[31mred\u0007\n')
    const bad = await runFa(['replay', file, '--dry-run'])
    expect(bad.code).toBe(3)
    // eslint-disable-next-line no-control-regex
    expect(bad.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/)
    expect(bad.stderr).toContain('"x\\u001b[31mred\\u0007"')
    writeFileSync(file, '{"topic":"t","va\\u001bue":1}\n')
    const key = await runFa(['replay', file, '--dry-run'])
    expect(key.code).toBe(3)
    expect(key.stderr).toContain('unknown key "va\\u001bue"')
  })
})
