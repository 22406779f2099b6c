import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import type {Config} from '../lib/config/schema.js'
import {FaError} from '../lib/errors.js'
import {isLocalCluster} from '../lib/kafka/connection.js'
import {colorFor} from '../lib/output/color.js'
import {createLogger} from '../lib/output/log.js'
import {compareGolden, GoldenLines, writeGolden} from '../lib/output/golden.js'
import {renderSummary} from '../lib/output/human.js'
import {fileProgress} from '../lib/output/progress.js'
import {BufferedWriter} from '../lib/output/writer.js'
import {buildTopology} from '../lib/alerts/topology.js'
import {PARALLEL_BYTES, replayDryRun} from '../lib/replay/dry-run.js'
import {
  parseTopicMappings,
  planReplay,
  produceFixtures,
  type ProduceResult,
  type ReplayPlan,
} from '../lib/replay/produce.js'

export default class Replay extends BaseCommand {
  static override summary = 'Pipe fixture files of topic records through the alert pipelines.'
  static override description = `Each FILE is JSON Lines, one topic record per line:
  {"topic": "data-notifications-pipeline", "key": "org-1", "value": {...}, "headers": {...}, "timestamp": "..."}
Records apply in file order: table records (assignments, Slack users) update the tables, events run through every alert type that reads their topic.

Without --dry-run the files are produced to Kafka: every file is validated first (a bad line stops the replay before anything is sent), then each record goes to its topic with its key, headers, timestamp and tombstone, in file order. --topic-prefix and --topic FROM=TO replay into a staging namespace (an explicit mapping wins over the prefix). A cluster that is not on localhost needs a confirmation on a TTY, or --yes.

With --dry-run everything happens in this process (no Kafka, Slack or cloud account): alerts and dead letters are printed, or compared with a golden file (--expect) to test alert rules in CI.`

  static override examples = [
    {
      description: 'Show the alerts a fixture produces',
      command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run',
    },
    {
      description: 'Every produced record as JSON Lines',
      command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --json > out.jsonl',
    },
    {
      description: 'Test alert rules against a golden file (exit 1 on any difference)',
      command:
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --expect fixtures/provisioning.expected.jsonl',
    },
    {
      description: 'Accept the current output as the new golden file',
      command:
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --expect fixtures/provisioning.expected.jsonl --update',
    },
    {
      description: 'Replay a large fixture on one thread only (from 64 MiB, a dry run uses one per CPU)',
      command: '<%= config.bin %> <%= command.id %> big.jsonl --dry-run --json --workers 1 > out.jsonl',
    },
    {
      description: 'Produce a fixture into staging topics (staging.data-notifications-pipeline, ...)',
      command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --topic-prefix staging.',
    },
    {
      description: 'Produce into renamed topics on a remote cluster, without the confirmation prompt',
      command:
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --topic data-notifications-pipeline=test-notifications --yes',
    },
  ]

  // Written out: oclif's generated line for flags exclusive of --dry-run leaves stray `| ]`.
  static override usage = [
    '<%= command.id %> FILE... --dry-run [--json] [--expect FILE [--update]] [--workers N] [-c FILE] [--verbose]',
    '<%= command.id %> FILE... [--topic-prefix PFX] [--topic FROM=TO...] [--timestamps keep|now] [-y] [--json] [-c FILE] [--verbose]',
  ]

  static override strict = false
  static override args = {
    file: Args.string({description: 'fixture file(s), JSON Lines of topic records', required: true}),
  }

  static override flags = {
    'dry-run': Flags.boolean({description: 'run the pipelines in this process instead of producing to Kafka'}),
    json: Flags.boolean({
      description:
        'with --dry-run: print every produced record as JSON Lines on stdout (summary on stderr); else print the summary as JSON',
    }),
    expect: Flags.string({
      description: 'with --dry-run: golden JSONL file to compare the produced records with; exit 1 on any difference',
      helpValue: 'FILE',
      dependsOn: ['dry-run'],
    }),
    update: Flags.boolean({
      description: 'with --expect: rewrite the golden file with the produced records',
      dependsOn: ['expect'],
    }),
    'topic-prefix': Flags.string({
      description: 'prefix every topic name (not those mapped with --topic) when producing',
      helpValue: 'PFX',
      exclusive: ['dry-run'],
    }),
    topic: Flags.string({
      description: 'produce records of topic FROM to topic TO instead (repeatable)',
      helpValue: 'FROM=TO',
      multiple: true,
      exclusive: ['dry-run'],
    }),
    workers: Flags.integer({
      description: `with --dry-run: threads to run the pipelines on; the output is the same (default: one per CPU, up to 4, for ${PARALLEL_BYTES >> 20} MiB of fixtures or more, else 1)`,
      min: 1,
      max: 64,
      helpValue: 'N',
      dependsOn: ['dry-run'],
    }),
    schemas: Flags.string({
      description:
        "with --dry-run: check every fixture value against its topic's schema in this Schema Registry (default: the configured one, if any)",
      helpValue: 'URL',
      dependsOn: ['dry-run'],
    }),
    yes: Flags.boolean({char: 'y', description: 'produce to a cluster that is not on localhost without asking'}),
    timestamps: Flags.option({
      options: ['keep', 'now'] as const,
      default: 'keep',
      description:
        "when producing: keep each record's timestamp, or use the time of producing (brokers reject timestamps over an hour ahead, and retention deletes old ones)",
      exclusive: ['dry-run'],
    })(),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Replay)
    this.verbose ||= flags.verbose
    const files = argv as string[]
    if (!flags['dry-run']) {
      await this.produce(files, flags)
      return
    }
    const config = await this.loadConfig(flags.config)
    // With a Schema Registry configured, fixtures must fit their topics' schemas (no registry: no check).
    if (flags.schemas) config.config.schemaRegistry.url = flags.schemas
    if (config.config.schemaRegistry.url)
      await (await import('../lib/schema/fixtures.js')).checkFixtureSchemas(files, config.config)
    const topology = await buildTopology(config)
    const out = colorFor(process.stdout)
    const stdout = new BufferedWriter(process.stdout)
    const golden = new GoldenLines()

    // --json and --expect make JSON Lines of the records; the summary then goes to stderr.
    const toStderr = Boolean(flags.json || flags.expect)
    const progress = fileProgress('replay')
    const summary = await replayDryRun({
      files,
      topology,
      format: toStderr ? {kind: 'json'} : {kind: 'human', colorLevel: out.level},
      out: flags.expect ? golden : stdout,
      onProgress: progress.update,
      threads: {config, count: flags.workers},
    }).finally(progress.stop)
    await stdout.flush()

    const err = colorFor(process.stderr)
    const summaryText = renderSummary(summary, toStderr ? err : out)
    if (toStderr) process.stderr.write(summaryText)
    else this.log(summaryText.trimEnd())

    if (!flags.expect) return
    if (flags.update) {
      await writeGolden(flags.expect, golden.lines)
      process.stderr.write(`wrote ${golden.lines.length} records to ${flags.expect}\n`)
      return
    }
    const result = await compareGolden(flags.expect, golden.lines, err)
    if (result.ok) {
      process.stderr.write(`${err.green('✓')} ${golden.lines.length} records match ${flags.expect}\n`)
      return
    }
    process.stderr.write(
      `${result.diff}\n${err.red('✗')} ${result.differences} records differ from ${flags.expect} (- expected, + produced); run with --update to accept\n`,
    )
    this.exit(1)
  }

  /** `fa replay FILE...` without --dry-run: validate every file, confirm if remote, produce. */
  private async produce(
    files: string[],
    flags: {
      config?: string
      json: boolean
      'topic-prefix'?: string
      topic?: string[]
      yes: boolean
      timestamps: 'keep' | 'now'
    },
  ): Promise<void> {
    const {config} = await this.loadConfig(flags.config)
    const routing = {prefix: flags['topic-prefix'], map: parseTopicMappings(flags.topic)}

    const validating = fileProgress('validate')
    const plan = await planReplay(files, routing, validating.update).finally(validating.stop)
    if (plan.records === 0) {
      this.report({records: 0, topics: {}, batches: 0, ms: 0}, plan, config, flags.json)
      return
    }
    if (!isLocalCluster(config)) await this.confirmRemote(plan, config, flags.yes)
    // kafkajs logs retried trouble (e.g. a coordinator still loading) as errors: only with --verbose.
    const log = createLogger({level: this.verbose ? 'debug' : 'error'})
    const producing = fileProgress('produce')
    const result = await produceFixtures({
      files,
      config,
      routing,
      plan,
      log,
      timestamps: flags.timestamps,
      onProgress: producing.update,
    }).finally(producing.stop)
    this.report(result, plan, config, flags.json)
  }

  private async confirmRemote(plan: ReplayPlan, config: Config, yes: boolean): Promise<void> {
    if (yes) return
    const brokers = config.kafka.brokers.join(',')
    const targets = [...new Set([...plan.topics.values()].map((t) => t.target))]
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new FaError(
        `${brokers} is not on localhost: producing ${plan.records} records there needs --yes when there is no terminal to confirm on`,
        {
          hint: 'add --yes to confirm without a prompt',
        },
      )
    }
    const {confirm} = await import('@inquirer/prompts')
    let ok: boolean
    try {
      ok = await confirm(
        {
          message: `Produce ${plan.records} records to ${targets.length} topic${targets.length === 1 ? '' : 's'} (${targets.join(', ')}) on ${brokers}?`,
          default: false,
        },
        {output: process.stderr},
      )
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError') ok = false
      else throw error
    }
    if (!ok) throw new FaError('replay cancelled: nothing was produced')
  }

  private report(result: ProduceResult, plan: ReplayPlan, config: Config, json: boolean): void {
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
      this.log('nothing to replay: the files hold no records')
      return
    }
    const width = Math.max(...topics.map((t) => t.topic.length))
    const lines = topics.map(({topic, records, from}) => {
      const renamed = from.filter((f) => f !== topic)
      return `  ${topic.padEnd(width)}  ${String(records).padStart(String(result.records).length)}${renamed.length > 0 ? c.dim(`  (from ${renamed.join(', ')})`) : ''}`
    })
    this.log(c.bold(`produced ${result.records} records to ${config.kafka.brokers.join(',')} in ${result.ms} ms`))
    this.log(lines.join('\n'))
  }
}
