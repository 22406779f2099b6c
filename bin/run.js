#!/usr/bin/env node
import module from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

if (Number(process.versions.node.split('.')[0]) < 22) {
  // An older system Node (a global install, `npm install -g`): run on the Node 24 fa depends on,
  // the platform's binary package (no install script to allow), else the `node` package's.
  const require = module.createRequire(import.meta.url)
  const binaryOf = (name) => {
    try {
      return path.join(path.dirname(require.resolve(`${name}/package.json`)), 'bin/node')
    } catch {
      return undefined
    }
  }
  const platform = process.platform === 'win32' ? 'win' : process.platform
  const bundled = binaryOf(`node-${platform}-${process.arch}`) ?? binaryOf('node')
  if (!bundled) {
    process.stderr.write(
      `Error: fa needs Node.js 22 or newer, this is ${process.version}, and fa's own Node.js 24 is not installed (reinstall with \`npm install -g --allow-scripts=node\`, or use Node.js 22+)\n`,
    )
    process.exit(1)
  }
  const {spawn} = await import('node:child_process')
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {stdio: 'inherit'})
  // The child gets a terminal's Ctrl-C itself; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('error', (error) => {
    process.stderr.write(`Error: cannot start fa's Node.js 24 at ${bundled}: ${error.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
    }
    process.exit(code ?? 1)
  })
} else {
  // `fa … | head`: the reader went away; that is the end of the output, not an error.
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  // Checked just above: spares oclif's own engines check, which loads semver for every command.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
  // Caches compiled bytecode between runs: most of fa's start-up is loading oclif.
  module.enableCompileCache?.()
  // fa ships bundled: a stack trace (--verbose, DEBUG) should name the TypeScript sources.
  if (process.env.DEBUG || process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)

  const {execute} = await import('../dist/cli.js')
  await execute({dir: import.meta.url})
}
