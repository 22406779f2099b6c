import type {ChalkInstance} from 'chalk'

import type {LoadedConfig} from '../config/load.js'
import {buildTopology, windowsOverRetention} from '../alerts/topology.js'
import {pipelineTopics} from '../kafka/topics.js'
import type {Topology} from '../pipeline/topology.js'
import {fail, pass, runCheck, type CheckResult} from './check.js'
import {kafkaChecks} from './kafka.js'
import {bigQueryCheck, schemaRegistryCheck, slackCheck} from './services.js'

export interface DoctorReport {
  ok: boolean
  checks: CheckResult[]
}

/** Per check: `fa doctor` answers within about this long even when nothing answers at all. */
const TIMEOUT_MS = {kafka: 8_000, step: 5_000, slack: 6_000, bigquery: 8_000, registry: 5_000}

/**
 * `fa doctor`: the config, then Kafka (brokers, topics, groups), Slack, BigQuery and the Schema
 * Registry side by side, each within its own timeout. ok only when no check failed (skipped
 * ones, say BigQuery without producers, do not count).
 */
export async function runDoctor(
  load: () => Promise<LoadedConfig>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DoctorReport> {
  let loaded: LoadedConfig | undefined
  let topology: Topology | undefined
  const configLines = await runCheck('config', TIMEOUT_MS.step, async () => {
    loaded = await load()
    topology = await buildTopology(loaded)
    const tooLong = windowsOverRetention(topology, loaded.config)
    if (tooLong.length > 0) return fail(tooLong.join('; '), 'set slack.retention longer than every incident window')
    return pass(
      `${loaded.file ?? 'built-in defaults (no fa.config.yaml)'}: ${topology.alertTypes.length} alert type(s), ` +
        `${topology.tableTopics.length} table(s)`,
    )
  })
  if (!loaded || !topology || configLines[0]!.status !== 'pass') return report(configLines)
  const config = loaded.config
  const groups = [...new Set([config.enrich.group, config.slack.group])]
  const ready = loaded
  const lines = await Promise.all([
    kafkaChecks(config, pipelineTopics(topology, config), groups, TIMEOUT_MS.kafka, env),
    runCheck('schema registry', TIMEOUT_MS.registry, () => schemaRegistryCheck(config, TIMEOUT_MS.registry - 500, env)),
    runCheck('slack', TIMEOUT_MS.slack, () => slackCheck(ready, TIMEOUT_MS.slack - 1_000, env)),
    runCheck('bigquery', TIMEOUT_MS.bigquery, () => bigQueryCheck(ready, env)),
  ])
  return report([...configLines, ...lines.flat()])
}

function report(checks: CheckResult[]): DoctorReport {
  return {ok: checks.every((c) => c.status !== 'fail'), checks}
}

/** One line per check: ✓ / ✗ / – , what it found, and for a failure the fix. */
export function renderDoctor(r: DoctorReport, c: ChalkInstance): string {
  const width = Math.max(...r.checks.map((check) => check.name.length))
  const lines = r.checks.map((check) => {
    const mark = check.status === 'pass' ? c.green('✓') : check.status === 'fail' ? c.red('✗') : c.dim('–')
    const fix = check.fix && check.status !== 'pass' ? c.dim(`  → ${check.fix}`) : ''
    return `${mark} ${check.name.padEnd(width)}  ${check.detail}${fix}`
  })
  const failed = r.checks.filter((check) => check.status === 'fail').length
  lines.push(failed ? c.red(c.bold(`${failed} check(s) failed`)) : c.green(c.bold('all checks passed')))
  return lines.join('\n') + '\n'
}
