import type {LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {parseDuration} from '../pipeline/duration.js'
import type {IncidentSpec} from '../pipeline/incidents.js'
import {Topology} from '../pipeline/topology.js'
import {buildSlackMessage} from '../slack/blocks.js'
import {loadAlertTypes} from './registry.js'

/** The topology a config describes: its enabled alert types over its topic names, alerting in Slack. */
export async function buildTopology({config, dir}: LoadedConfig): Promise<Topology> {
  const alerts = await loadAlertTypes({builtIn: config.alerts.builtIn, modules: config.alerts.modules, dir})
  const incidentWindows = Object.fromEntries(
    Object.entries(config.alerts.windows).map(([name, window]) => [name, parseDuration(window)!]),
  )
  let topology: Topology
  try {
    topology = new Topology(alerts, config.topics, buildSlackMessage, {incidentWindows})
  } catch (error) {
    throw new FaError(`config key "alerts.windows": ${(error as Error).message}`)
  }
  checkFormatRoles(topology, config)
  return topology
}

/** A `formats:` key that names no topic would leave the topic it was meant for in the wrong format, silently. */
function checkFormatRoles(topology: Topology, config: LoadedConfig['config']): void {
  const used = new Set([
    ...topology.sourceTopics,
    ...topology.tableTopics.map((t) => t.topic),
    ...topology.alertTypes.map((a) => topology.topic(a.sink)),
  ])
  for (const role of Object.keys(config.formats)) {
    if (Object.hasOwn(config.topics, role) || used.has(role)) continue
    const roles = Object.keys(config.topics).join(', ')
    throw new FaError(
      `config key "formats.${role}": no topic has that role (roles: ${roles}, or a topic an alert type reads)`,
    )
  }
}

/**
 * Incident windows not shorter than `slack.retention`, one sentence each: fa send would forget a
 * post while its incident can still update it, and dead-letter the update as one without a post.
 */
export function windowsOverRetention(topology: Topology, config: LoadedConfig['config']): string[] {
  const retention = parseDuration(config.slack.retention)!
  return topology.alertTypes.flatMap((alert) => {
    if (!alert.incidents) return []
    const window = topology.windowOf(alert as typeof alert & {incidents: IncidentSpec})
    if (window < retention) return []
    return [
      `the incident window of ${alert.name} (${config.alerts.windows[alert.name] ?? alert.incidents.window}) is not shorter than slack.retention ` +
        `(${config.slack.retention}): fa send would forget a post its updates still need`,
    ]
  })
}
