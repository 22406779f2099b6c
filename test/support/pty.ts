// Drives an interactive `fa` command through a pseudo-terminal (util-linux `script`), so
// @inquirer/prompts sees a TTY: wait for each prompt's text, then type the answer.
import {execFileSync, spawn} from 'node:child_process'
import path from 'node:path'

import {root} from './cli.js'

export const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

export const KEY = {enter: '\r', down: '\u001B[B', ctrlC: '\u0003'}

const shellQuote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`
// eslint-disable-next-line no-control-regex
export const stripAnsi = (text: string) => text.replaceAll(/\u001B\[[0-9;?]*[A-Za-z]/g, '')

/**
 * Runs `fa ...args` on a pseudo-terminal; for each [pattern, keys] step, waits until the output
 * written since the previous step matches, then types `keys`. Keys typed before a prompt shows
 * would be lost, hence the wait. Resolves with the exit code and the output without ANSI codes.
 */
export async function runFaOnTty(
  args: string[],
  steps: Array<[RegExp, string]>,
  options: {cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number} = {},
): Promise<{code: number | null; output: string}> {
  // A wide terminal, so that prompts are not wrapped in the middle of what the test waits for.
  const command =
    'stty cols 250 rows 50; exec ' +
    [process.execPath, path.join(root, 'bin/run.js'), ...args].map(shellQuote).join(' ')
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd ?? root,
    env: {...process.env, NO_COLOR: '1', TERM: 'xterm', ...options.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
  const timeoutMs = options.timeoutMs ?? 15_000
  try {
    let from = 0
    for (const [pattern, keys] of steps) {
      const deadline = Date.now() + timeoutMs
      while (!pattern.test(stripAnsi(output.slice(from)))) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no ${pattern} on the terminal; output so far:\n${stripAnsi(output)}`)
        }
        await new Promise((r) => setTimeout(r, 25))
      }
      from = output.length
      child.stdin.write(keys)
    }
    const code = await Promise.race([
      closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`fa did not exit; output:\n${stripAnsi(output)}`)), timeoutMs),
      ),
    ])
    return {code, output: stripAnsi(output).replaceAll('\r\n', '\n')}
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
  }
}
