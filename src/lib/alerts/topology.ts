import type {LoadedConfig} from '../config/load.js'
import {Topology} from '../pipeline/topology.js'
import {buildSlackMessage} from '../slack/blocks.js'
import {loadAlertTypes} from './registry.js'

/** The topology a config describes: its enabled alert types over its topic names, alerting in Slack. */
export async function buildTopology({config, dir}: LoadedConfig): Promise<Topology> {
  const alerts = await loadAlertTypes({builtIn: config.alerts.builtIn, modules: config.alerts.modules, dir})
  return new Topology(alerts, config.topics, buildSlackMessage)
}
