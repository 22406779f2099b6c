/**
 * oclif for the CLI and the commands, one instance: scripts/bundle.mjs builds @oclif/core into a
 * CommonJS file of its own and points every `@oclif/core` import of the bundle here.
 *
 * Why not a chunk like the rest: most of a start-up is compiling oclif's functions, and Node's
 * compile cache holds only the code V8 compiles before a module runs (its top level), not the
 * functions compiled while it runs. This file runs oclif as a script and, when there was no
 * cache or V8 rejected it, saves V8's code cache at exit, which then holds every function the
 * run compiled. The cache sits in Node's compile cache directory (bin/run.js enables it; the
 * directory is per Node version, architecture and V8 flags), named after the bundle's content
 * hash: a rebuilt oclif never reads an old cache. Without a compile cache directory
 * (NODE_DISABLE_COMPILE_CACHE, or fa imported as a library), or with source maps on, nothing is
 * read or written.
 */
import module from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type * as Core from '@oclif/core'

// Required, not imported: an import of node:fs builds its ES module facade, which reads every
// export, the lazy ones too (fs's streams, with fs/promises and readline): a dozen modules that
// `fa --version` does not use.
const requireBuiltin = module.createRequire(import.meta.url)
const {readFileSync, renameSync, rmSync, writeFileSync} = requireBuiltin('node:fs') as typeof import('node:fs')
const vm = requireBuiltin('node:vm') as typeof import('node:vm')

/** The CommonJS bundle's file name in dist/chunks, set by scripts/bundle.mjs. */
declare const FA_OCLIF_BUNDLE: string

export interface Oclif {
  core: typeof Core
  execute: typeof Core.execute
}

let loaded: Oclif | undefined

/**
 * CommonJS's, and `__faImport` for the bundle's `import()` of a computed URL (scripts/bundle-oclif.mjs):
 * a script's own `import()` would need an experimental vm option. oclif imports commands and
 * hooks by absolute file URL, which resolve the same from here.
 */
const wrapperParameters = 'exports, require, module, __filename, __dirname, __faImport'
const faImport = (specifier: string): Promise<unknown> => import(specifier)

/** oclif, loaded on first use; `core` evaluates all of it, `execute` only what a run needs. */
export function oclif(): Oclif {
  if (loaded) return loaded
  // scripts/bundle.mjs checks that this code lands in dist/chunks, beside the bundle.
  const file = fileURLToPath(new URL(FA_OCLIF_BUNDLE, import.meta.url))
  // Only Node's own loader maps stack traces through source maps (bin/run.js turns them on for
  // --verbose and DEBUG): then oclif is required, `__faImport` a global, and no cache is kept.
  if (process.sourceMapsEnabled) {
    Object.assign(globalThis, {__faImport: faImport})
    loaded = module.createRequire(file)(file) as Oclif
    return loaded
  }
  const cacheDir = module.getCompileCacheDir?.()
  const cacheFile = cacheDir && path.join(cacheDir, `fa-${FA_OCLIF_BUNDLE}.v8cache`)
  const cachedData = cacheFile ? readCache(cacheFile) : undefined
  const script = new vm.Script(`(function (${wrapperParameters}) {${readFileSync(file, 'utf8')}\n})`, {
    filename: file,
    cachedData,
  })
  const cjs = {exports: {} as Oclif, filename: file, id: file}
  const run = script.runInThisContext() as (...parameters: unknown[]) => void
  run(cjs.exports, module.createRequire(file), cjs, file, path.dirname(file), faImport)
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => saveCache(script, cacheFile))
  loaded = cjs.exports
  return loaded
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

/** Written whole, then renamed: a run starting meanwhile reads the old file or the new one. */
function saveCache(script: import('node:vm').Script, file: string): void {
  const partial = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(partial, script.createCachedData(), {mode: 0o600})
    renameSync(partial, file)
  } catch {
    // A cache is an optimization: a full disk or a read-only directory costs speed, not the run.
    rmSync(partial, {force: true})
  }
}
