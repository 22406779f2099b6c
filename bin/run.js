#!/usr/bin/env node
import module from 'node:module'

// Caches compiled bytecode between runs: most of fa's start-up is compiling oclif.
module.enableCompileCache?.()

const {execute} = await import('@oclif/core/execute')
await execute({dir: import.meta.url})
