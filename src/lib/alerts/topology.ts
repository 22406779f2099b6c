import type {LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {parseDuration} from '../pipeline/duration.js'
import {Topology} from '../pipeline/topology.js'
import {buildSlackMessage} from '../slack/blocks.js'
import {loadAlertTypes} from './registry.js'

/** The topology a config describes: its enabled alert types over its topic names, alerting in Slack. */
export async function buildTopology({config, dir}: LoadedConfig): Promise<Topology> {
  const alerts = await loadAlertTypes({builtIn: config.alerts.builtIn, modules: config.alerts.modules, dir})
  const incidentWindows = Object.fromEntries(
    Object.entries(config.alerts.windows).map(([name, window]) => [name, parseDuration(window)!]),
  )
  try {
    return new Topology(alerts, config.topics, buildSlackMessage, {incidentWindows})
  } catch (error) {
    throw new FaError(`config key "alerts.windows": ${(error as Error).message}`)
  }
}
