import {buildTopology} from '../alerts/topology.js'
import type {LoadedConfig} from '../config/load.js'
import type {Config} from '../config/schema.js'
import {isLocalCluster} from '../kafka/connection.js'
import {colorFor} from '../output/color.js'
import type {Logger} from '../output/log.js'
import {plural} from '../output/plural.js'
import {fileProgress} from '../output/progress.js'
import {confirmRemote} from './confirm-remote.js'
import {parseTopicMappings, planReplay, produceFixtures, type ProduceResult, type ReplayPlan} from './produce.js'
import {TableOrderWatch} from './table-order.js'
import {topicAliases} from './topic-names.js'

export interface ProduceCliOptions {
  files: string[]
  loaded: LoadedConfig
  /** `--topic-prefix`. */
  prefix?: string
  /** `--topic FROM=TO`, as given. */
  mappings?: string[]
  /** Produce to a remote cluster without asking. */
  yes: boolean
  /** The summary as one JSON line. */
  json: boolean
  timestamps: 'keep' | 'now'
  /** kafkajs' own logging. */
  log: Logger
}

/** `fa replay FILE...` without --dry-run: validate every file, confirm if remote, produce. */
export async function produceCli(options: ProduceCliOptions): Promise<void> {
  const {files, loaded} = options
  const {config} = loaded
  const topology = await buildTopology(loaded)
  const routing = {
    prefix: options.prefix,
    map: parseTopicMappings(options.mappings),
    aliases: topicAliases(config.topics),
  }
  const known = new Set([
    ...Object.values(config.topics),
    ...topology.sourceTopics,
    ...topology.tableTopics.map(({topic}) => topic),
  ])

  const validating = fileProgress('validate')
  const watch = new TableOrderWatch(topology)
  const plan = await planReplay(files, routing, validating.update, known, watch).finally(validating.stop)
  const c = colorFor(process.stderr)
  for (const warning of watch.warnings) process.stderr.write(`${c.yellow('warning:')} ${warning}\n`)
  if (plan.records === 0) {
    report({records: 0, topics: {}, batches: 0, ms: 0}, plan, config, options.json)
    return
  }
  if (!isLocalCluster(config)) await confirmRemote(plan, config, options.yes)
  const producing = fileProgress('produce')
  const result = await produceFixtures({
    files,
    config,
    routing,
    plan,
    log: options.log,
    timestamps: options.timestamps,
    onProgress: producing.update,
  }).finally(producing.stop)
  report(result, plan, config, options.json)
}

/** What went where, on stdout: a table for people, or one JSON line. */
function report(result: ProduceResult, plan: ReplayPlan, config: Config, json: boolean): void {
  const sources = new Map<string, string[]>()
  for (const [source, {target}] of plan.topics) sources.set(target, [...(sources.get(target) ?? []), source])
  const topics = Object.entries(result.topics).map(([topic, records]) => ({
    topic,
    records,
    from: sources.get(topic) ?? [],
  }))
  if (json) {
    process.stdout.write(
      JSON.stringify({
        records: result.records,
        brokers: config.kafka.brokers,
        topics,
        batches: result.batches,
        ms: result.ms,
      }) + '\n',
    )
    return
  }
  const c = colorFor(process.stdout)
  if (result.records === 0) {
    process.stdout.write('nothing to replay: the files hold no records\n')
    return
  }
  const width = Math.max(...topics.map((t) => t.topic.length))
  const lines = topics.map(({topic, records, from}) => {
    const renamed = from.filter((f) => f !== topic)
    return `  ${topic.padEnd(width)}  ${String(records).padStart(String(result.records).length)}${renamed.length > 0 ? c.dim(`  (from ${renamed.join(', ')})`) : ''}`
  })
  process.stdout.write(
    c.bold(`produced ${plural(result.records, 'record')} to ${config.kafka.brokers.join(',')} in ${result.ms} ms`) +
      '\n',
  )
  process.stdout.write(lines.join('\n') + '\n')
}
