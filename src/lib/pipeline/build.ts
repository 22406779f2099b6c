import {loadAlertTypes} from '../alerts/registry.js'
import type {LoadedConfig} from '../config/load.js'
import {Topology} from './topology.js'

/** The topology a config describes: its enabled alert types over its topic names. */
export async function buildTopology({config, dir}: LoadedConfig): Promise<Topology> {
  const alerts = await loadAlertTypes({builtIn: config.alerts.builtIn, modules: config.alerts.modules, dir})
  return new Topology(alerts, config.topics)
}
