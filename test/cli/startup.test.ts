import {spawnSync} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {root} from '../support/cli.js'

/** Runs the built CLI with a hook that names every heavy client module it loads. */
function heavyImports(args: string[]): {status: number | null; heavy: string[]; stdout: string} {
  const result = spawnSync(
    process.execPath,
    ['--import', path.join(root, 'test/support/trace-heavy-imports.mjs'), path.join(root, 'bin/run.js'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: '1'},
    },
  )
  const heavy = [...result.stderr.matchAll(/^HEAVY-IMPORT (.+)$/gm)].map((m) => m[1]!)
  return {status: result.status, heavy, stdout: result.stdout}
}

describe('start-up', () => {
  it('fa --version loads no heavy client', () => {
    const {status, heavy, stdout} = heavyImports(['--version'])
    expect(status).toBe(0)
    expect(stdout).toMatch(/^fa\/\d+\.\d+\.\d+ .* node-v2[2-9]/)
    expect(heavy).toEqual([])
  })

  it('fa --help lists the commands without loading a client', () => {
    const {status, heavy, stdout} = heavyImports(['--help'])
    expect(status).toBe(0)
    expect(stdout).toContain('replay')
    expect(heavy).toEqual([])
  })

  it('fa replay --dry-run needs neither Kafka, Slack, BigQuery nor prompts', () => {
    const {status, heavy} = heavyImports(['replay', 'fixtures/provisioning.jsonl', '--dry-run', '--json'])
    expect(status).toBe(0)
    expect(heavy).toEqual([])
  })

  it('the bundle leaves the TypeScript compiler out (oclif requires it only for development setups)', () => {
    const chunks = path.join(root, 'dist/chunks')
    const bundled = readdirSync(chunks)
      .filter((name) => /\.c?js$/.test(name))
      .filter((name) => readFileSync(path.join(chunks, name), 'utf8').includes('node_modules/typescript/'))
    expect(bundled).toEqual([])
  })

  it('the hook does see a heavy client when one is loaded', () => {
    const result = spawnSync(
      process.execPath,
      ['--import', path.join(root, 'test/support/trace-heavy-imports.mjs'), '-e', 'import("kafkajs")'],
      {cwd: root, encoding: 'utf8'},
    )
    expect(result.stderr).toContain('HEAVY-IMPORT kafkajs')
  })
})
