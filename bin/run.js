#!/usr/bin/env node
import module from 'node:module'

// Caches compiled bytecode between runs: most of fa's start-up is loading oclif.
module.enableCompileCache?.()

const {execute} = await import('../dist/cli.js')
await execute({dir: import.meta.url})
