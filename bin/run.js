#!/usr/bin/env node
import module from 'node:module'

// Caches compiled bytecode between runs: most of fa's start-up is loading oclif.
module.enableCompileCache?.()
// fa ships bundled: a stack trace (--verbose, DEBUG) should name the TypeScript sources.
if (process.env.DEBUG || process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)

const {execute} = await import('../dist/cli.js')
await execute({dir: import.meta.url})
