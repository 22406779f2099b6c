import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {FaError} from '../errors.js'
import {shareImportsWithUserModules} from './shared-imports.js'

/**
 * The default export of a user module named in the config (alert types, producers): the path is
 * relative to the config file's directory, and a module that fails to load names itself and
 * the config key that lists it.
 */
export async function importUserModule(
  modulePath: string,
  dir: string,
  configKey: string,
): Promise<{file: string; value: unknown}> {
  const file = path.resolve(dir, modulePath)
  shareImportsWithUserModules()
  try {
    const module = (await import(pathToFileURL(file).href)) as {default?: unknown}
    return {file, value: module.default}
  } catch (error) {
    throw new FaError(`cannot load ${file}: ${(error as Error).message}`, {
      hint: `check ${configKey} in the config`,
      cause: error,
    })
  }
}

/** Built-in and user definitions share one namespace: a name used twice is a config error. */
export function assertUniqueNames(items: ReadonlyArray<{name: string}>, what: string, configKey: string): void {
  const names = new Set<string>()
  for (const {name} of items) {
    if (names.has(name))
      throw new FaError(`${what} "${name}" is defined twice`, {hint: `check ${configKey} in the config`})
    names.add(name)
  }
}
