#!/usr/bin/env node
import module from 'node:module'

if (Number(process.versions.node.split('.')[0]) < 22) {
  process.stderr.write(
    `Error: fa needs Node.js 22 or newer, this is ${process.version} (in the project, \`npx fa\` runs the Node.js 24 it installs)\n`,
  )
  process.exit(1)
}
// Checked just above: spares oclif's own engines check, which loads semver for every command.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= 'true'
// Caches compiled bytecode between runs: most of fa's start-up is loading oclif.
module.enableCompileCache?.()
// fa ships bundled: a stack trace (--verbose, DEBUG) should name the TypeScript sources.
if (process.env.DEBUG || process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)

const {execute} = await import('../dist/cli.js')
await execute({dir: import.meta.url})
