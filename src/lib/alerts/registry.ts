import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {FaError} from '../errors.js'
import type {AlertType} from '../pipeline/stream.js'
import connectorProvisioningFailed from './connector-provisioning-failed.js'
import onboardingStarted from './onboarding-started.js'

export const builtInAlerts: readonly AlertType[] = [connectorProvisioningFailed, onboardingStarted]

/** The built-in alert types the config enables, then the user's own modules. */
export async function loadAlertTypes(options: {builtIn?: string[]; modules: string[]; dir: string}): Promise<AlertType[]> {
  const known = new Map(builtInAlerts.map((alert) => [alert.name, alert]))
  const selected = (options.builtIn ?? [...known.keys()]).map((name) => {
    const alert = known.get(name)
    if (!alert) throw new FaError(`config key "alerts.builtIn": unknown alert type "${name}"`, {hint: `known: ${[...known.keys()].join(', ')}`})
    return alert
  })
  for (const modulePath of options.modules) selected.push(await importAlert(path.resolve(options.dir, modulePath)))
  const names = new Set<string>()
  for (const alert of selected) {
    if (names.has(alert.name)) throw new FaError(`alert type "${alert.name}" is defined twice`)
    names.add(alert.name)
  }
  return selected
}

async function importAlert(file: string): Promise<AlertType> {
  let module: {default?: unknown}
  try {
    module = await import(pathToFileURL(file).href)
  } catch (error) {
    throw new FaError(`cannot load alert type module ${file}: ${(error as Error).message}`, {cause: error})
  }
  const alert = module.default as Partial<AlertType> | undefined
  if (!alert || typeof alert.name !== 'string' || !Array.isArray(alert.steps) || typeof alert.message !== 'function') {
    throw new FaError(`${file}: the default export is not an alert type`, {hint: 'export default stream(...)...message(...).to(sink)'})
  }
  return alert as AlertType
}
