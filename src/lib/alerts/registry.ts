import {assertUniqueNames, importUserModule} from '../config/modules.js'
import {FaError} from '../errors.js'
import type {AlertType} from '../pipeline/stream.js'
import clusterCreated from './cluster-created.js'
import connectorProvisioningFailed from './connector-provisioning-failed.js'
import onboardingStarted from './onboarding-started.js'

export const builtInAlerts: readonly AlertType[] = [connectorProvisioningFailed, onboardingStarted, clusterCreated]

/** The built-in alert types the config enables, then the user's own modules. */
export async function loadAlertTypes(options: {
  builtIn?: string[]
  modules: string[]
  dir: string
}): Promise<AlertType[]> {
  const known = new Map(builtInAlerts.map((alert) => [alert.name, alert]))
  const selected = (options.builtIn ?? [...known.keys()]).map((name) => {
    const alert = known.get(name)
    if (!alert)
      throw new FaError(`config key "alerts.builtIn": unknown alert type "${name}"`, {
        hint: `known: ${[...known.keys()].join(', ')}`,
      })
    return alert
  })
  for (const modulePath of options.modules) selected.push(await importAlert(modulePath, options.dir))
  assertUniqueNames(selected, 'alert type', 'alerts.modules')
  return selected
}

async function importAlert(modulePath: string, dir: string): Promise<AlertType> {
  const {file, value} = await importUserModule(modulePath, dir, 'alerts.modules')
  const alert = value as Partial<AlertType> | undefined
  if (!alert || typeof alert.name !== 'string' || !Array.isArray(alert.steps) || typeof alert.message !== 'function') {
    throw new FaError(`${file}: the default export is not an alert type`, {
      hint: 'export default stream(...)...message(...).to(sink)',
    })
  }
  return alert as AlertType
}
