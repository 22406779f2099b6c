// The CLI as people type it: -h, mistyped flags, usage lines, a closed pipe, an older system Node.
import {execFileSync, spawn} from 'node:child_process'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'
import {hasScript, KEY, runFaOnTty} from '../support/pty.js'

const COMMANDS = ['replay', 'enrich', 'send', 'produce', 'init', 'topics create']

describe('the CLI as people use it', () => {
  it('-h is --help', async () => {
    for (const command of ['send', 'topics create']) {
      const short = await runFa([...command.split(' '), '-h'])
      const long = await runFa([...command.split(' '), '--help'])
      expect(short.code).toBe(0)
      expect(short.stdout).toContain('USAGE')
      expect(short.stdout).toBe(long.stdout)
    }
  })

  it("fa replay's usage names every flag of the dry run", async () => {
    const {stdout} = await runFa(['replay', '--help'])
    const usage = /USAGE\n([\s\S]*?)\n\n/.exec(stdout)![1]!.replaceAll(/\s+/g, ' ')
    for (const flag of ['--explain', '--only', '--explain-file', '--html', '--tables-first', '--schemas'])
      expect(usage).toContain(`[${flag}`)
  })

  it('usage lines have no stray "| ]" or empty brackets', async () => {
    for (const command of COMMANDS) {
      const {stdout} = await runFa([...command.split(' '), '--help'])
      const usage = /USAGE\n([\s\S]*?)\n\n/.exec(stdout)![1]!
      expect(usage, command).not.toMatch(/\|\s*\]|\[\s*\]|\|\s*\|/)
    }
  })

  it('an unknown flag suggests the closest one in one line, not the whole help', async () => {
    const result = await runFa(['replay', 'fixtures/provisioning.jsonl', '--dryrun'])
    expect(result.code).toBe(2)
    expect(result.stderr).toBe(
      'Error: unknown flag --dryrun: did you mean --dry-run? (fa replay --help lists every flag)\n',
    )
    expect(result.stdout).toBe('')
    const two = await runFa(['send', '--folow', '--zzzzzz'])
    expect(two.stderr).toMatch(/^Error: unknown flag --folow: did you mean --follow\?; unknown flag --zzzzzz \(/)
  })

  it('`fa … | head` ends quietly with exit 0 when the reader goes away', async () => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'bin/run.js'), 'replay', 'fixtures/provisioning.jsonl', '--dry-run', '--json'],
      {
        cwd: root,
        env: {...process.env, NO_COLOR: '1'},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    // Like `head -c 1`: read a little, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    expect(stderr).not.toMatch(/Warning|EPIPE|Error/)
  })

  it('runs on its own Node 24 when the system Node is older', () => {
    // The first node on PATH outside the project (npm run puts node_modules/.bin first).
    const PATH = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.includes('node_modules'))
    const system = execFileSync('sh', ['-c', 'command -v node'], {
      env: {PATH: PATH.join(path.delimiter)},
      encoding: 'utf8',
    }).trim()
    const out = execFileSync(system, [path.join(root, 'bin/run.js'), '--version'], {cwd: root, encoding: 'utf8'})
    expect(out).toMatch(/^fa\/\d+\.\d+\.\d+ \S+ node-v2[4-9]\./)
  })
})

describe('did you mean', () => {
  it('off a terminal: the closest command with the same arguments, exit 127', async () => {
    const typo = await runFa(['replya', 'fixtures/provisioning.jsonl', '--dry-run'])
    expect(typo.code).toBe(127)
    expect(typo.stderr).toBe(
      'Error: replya is not a fa command: did you mean `fa replay fixtures/provisioning.jsonl --dry-run`?\n',
    )
    const topic = await runFa(['topic', 'create', '--partitions', '1'])
    expect(topic.stderr).toMatch(/did you mean `fa topics create --partitions 1`\?/)
    const none = await runFa(['zzzzzzzz'])
    expect(none.stderr).toBe('Error: zzzzzzzz is not a fa command (`fa --help` lists them)\n')
  })

  it.skipIf(!hasScript)('on a terminal: accepting runs the suggested command with the same arguments', async () => {
    const {code, output} = await runFaOnTty(
      ['replya', 'fixtures/provisioning.jsonl', '--dry-run', '--json'],
      [[/Run `fa replay fixtures\/provisioning\.jsonl --dry-run --json`\?/, KEY.enter]],
      // A person at the terminal, not CI.
      {env: {CI: ''}},
    )
    expect(output).toContain('"alertId"')
    expect(code).toBe(0)
  })

  it.skipIf(!hasScript)('on a terminal in CI: the suggestion, exit 127, no prompt to wait on', async () => {
    const {code, output} = await runFaOnTty(['replya', 'fixtures/provisioning.jsonl', '--dry-run'], [], {
      env: {CI: 'true'},
    })
    expect(output).toContain(
      'replya is not a fa command: did you mean `fa replay fixtures/provisioning.jsonl --dry-run`?',
    )
    expect(code).toBe(127)
  })
})
