import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
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

  it("keeps V8's code cache of oclif in Node's compile cache directory, and starts from a damaged one", () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fa-compile-cache-'))
    try {
      const version = () =>
        spawnSync(process.execPath, [path.join(root, 'bin/run.js'), '--version'], {
          cwd: root,
          encoding: 'utf8',
          env: {...process.env, NODE_COMPILE_CACHE: dir},
        })
      const first = version()
      expect(first.status).toBe(0)
      const caches = readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter((name) =>
        /fa-oclif-\w+\.cjs\.v8cache$/.test(name),
      )
      expect(caches).toHaveLength(1)
      const cache = path.join(dir, caches[0]!)
      const written = statSync(cache).mtimeMs

      // Accepted, so kept as it is.
      expect(version()).toMatchObject({status: 0, stdout: first.stdout, stderr: ''})
      expect(statSync(cache).mtimeMs).toBe(written)

      // Rejected by V8: the run is the same, and the cache is written anew.
      writeFileSync(cache, 'not a code cache')
      expect(version()).toMatchObject({status: 0, stdout: first.stdout, stderr: ''})
      expect(statSync(cache).size).toBeGreaterThan(10_000)
      expect(readdirSync(path.dirname(cache)).filter((name) => name.endsWith('.tmp'))).toEqual([])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it("--verbose's stack trace names oclif's own files, through its source map", () => {
    const result = spawnSync(
      process.execPath,
      [path.join(root, 'bin/run.js'), 'replay', 'no-such-fixture.jsonl', '--dry-run', '--verbose'],
      {cwd: root, encoding: 'utf8'},
    )
    expect(result.stderr).toMatch(/node_modules\/@oclif\/core\/lib\/config\/config\.js:\d+/)
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
