import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {FaError} from '../lib/errors.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {colorFor} from '../lib/output/color.js'
import {createLogger, silentLogger} from '../lib/output/log.js'
import type {ProduceSummary} from '../lib/produce/summary.js'

export default class Produce extends BaseCommand {
  static override summary = 'Run a named BigQuery query and publish one event per row to Kafka.'
  static override description = `Runs producer NAME's parameterized query (@since/@until as TIMESTAMP parameters) over the window [--since, --until), converts each row to plain JSON and publishes one event per row to the producer's topic (e.g. onboarding → data-onboarding-events), keyed as the producer says, with a deterministic eventId derived from the row's natural key: overlapping windows and repeated runs re-produce the same ids, which downstream delivers once. Rows the producer's schema refuses go to the dead-letter topic (fa-dead-letters) with the reason, producer, BigQuery job id and row number in headers.

Made for cron: --since checkpoint continues from where the last successful run ended, re-reading --grace (default 15m) before it for rows that reach BigQuery late (kept in the compacted fa-checkpoints topic, keyed by producer name, and advanced only after every event is acknowledged), and a lock file (~/.cache/fa/locks, or FA_LOCK_DIR) makes a second concurrent run of the same producer exit with code 7.

Credentials: Application Default Credentials (gcloud auth application-default login) or GOOGLE_APPLICATION_CREDENTIALS; the project comes from bigquery.projectId or GOOGLE_CLOUD_PROJECT. Exit codes: 2 usage, 4 BigQuery, 5 Kafka, 7 locked. Producers: the built-in onboarding, and modules listed under producers.modules in the config.`

  static override examples = [
    {
      description: 'Publish the orgs that started onboarding in the last hour',
      command: '<%= config.bin %> <%= command.id %> onboarding --since 1h',
    },
    {
      description: 'From cron: continue where the last successful run ended, JSON summary for the log',
      command: '<%= config.bin %> <%= command.id %> onboarding --since checkpoint --json',
    },
    {
      description: "BigQuery's free estimate of the bytes and cost; nothing is queried or produced",
      command: '<%= config.bin %> <%= command.id %> onboarding --since 2d --dry-run',
    },
    {
      description:
        'Run the query (billed like a real run) and show the first 20 events as JSON Lines, producing nothing',
      command:
        '<%= config.bin %> <%= command.id %> onboarding --since 2024-05-01 --until 2024-05-02 --preview 20 --json',
    },
    {
      description: 'From cron, re-reading the last hour before the checkpoint for rows that load late',
      command: '<%= config.bin %> <%= command.id %> onboarding --since checkpoint --grace 1h',
    },
  ]

  static override args = {
    name: Args.string({
      description: 'producer name (built-in: onboarding; more from producers.modules)',
      required: true,
    }),
    time: Args.string({description: 'with --checkpoint set: the new high-water mark (a time, or a duration ago)'}),
  }

  static override flags = {
    since: Flags.string({
      description:
        'start of the window (inclusive): a duration before now (15m, 1h, 2d), an ISO timestamp ' +
        'with zone or a date, or "checkpoint" for where the last successful run ended',
      helpValue: 'WHEN',
    }),
    checkpoint: Flags.string({
      description:
        "instead of a run: show the producer's checkpoint, set it to TIME (`--checkpoint set " +
        '2026-01-31T00:00:00Z`), or reset it (the next --since checkpoint run then needs an explicit --since)',
      options: ['show', 'set', 'reset'],
      exclusive: ['since', 'until', 'dry-run'],
    }),
    until: Flags.string({
      description: 'end of the window (exclusive): a duration before now or a timestamp; default now',
      helpValue: 'WHEN',
    }),
    'dry-run': Flags.boolean({
      description: "print BigQuery's free estimate (bytes, and what a run would bill); query and produce nothing",
    }),
    preview: Flags.integer({
      description:
        'a dry run that also runs the query (billed like a real run) and prints the events of at ' +
        'most N rows; produces nothing',
      min: 1,
      helpValue: 'N',
    }),
    grace: Flags.string({
      description:
        'with --since checkpoint: also re-read this long before the checkpoint, for rows that reach ' +
        'BigQuery late (default producers.grace.NAME, else 15m; 0 for none)',
      helpValue: 'DURATION',
    }),
    json: Flags.boolean({
      description:
        'print the summary as one JSON line; with --dry-run, the events as JSON Lines (estimate and summary on stderr)',
    }),
    'page-size': Flags.integer({description: 'rows per BigQuery results page', default: 1000, min: 1, max: 100_000}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Produce)
    this.verbose ||= flags.verbose
    // BigQuery and kafkajs load here, only for this command.
    const [{findProducer}, {runProduce}, {InterruptedError}, report] = await Promise.all([
      import('../lib/produce/registry.js'),
      import('../lib/produce/run.js'),
      import('../lib/produce/outcome.js'),
      import('../lib/produce/report.js'),
    ])
    const loaded = await this.loadConfig(flags.config)
    const producer = await findProducer(args.name, {modules: loaded.config.producers.modules, dir: loaded.dir})
    if (flags.checkpoint) {
      const {checkpointAction, manageCheckpoint} = await import('../lib/produce/checkpoint-admin.js')
      const action = checkpointAction(producer.name, flags.checkpoint, args.time)
      const change = await manageCheckpoint({config: loaded.config, producer: producer.name, action})
      if (flags.json) process.stdout.write(JSON.stringify(change) + '\n')
      else this.log(report.describeCheckpointChange(change, action.kind, colorFor(process.stdout)))
      return
    }
    if (flags.since === undefined)
      throw new FaError('--since is required (or --checkpoint show|set|reset)', {
        hint: `e.g. \`fa produce ${producer.name} --since 1h\`, or --since checkpoint to continue from the last run`,
      })

    const dryRun = flags['dry-run'] || flags.preview !== undefined
    const out = colorFor(process.stdout)
    // With --dry-run --json, stdout is only the records.
    const info = (line: string) => (dryRun && flags.json ? process.stderr.write(`${line}\n`) : this.log(line))
    const log = this.verbose ? createLogger({level: 'debug'}) : silentLogger
    // The first SIGINT/SIGTERM stops the query (nothing produced, no checkpoint); a second one exits at once.
    const signals = handleShutdownSignals({log})
    let summary: ProduceSummary
    try {
      summary = await runProduce({
        producer,
        config: loaded.config,
        since: flags.since,
        until: flags.until,
        dryRun,
        preview: flags.preview,
        grace: flags.grace,
        pageSize: flags['page-size'],
        signal: signals.signal,
        log,
        onEstimate: (estimate) =>
          info(report.describeEstimate(estimate, loaded.config.bigquery.pricePerTiB, flags.preview)),
        onRecord: (record, kind) =>
          flags.json
            ? process.stdout.write(JSON.stringify(record) + '\n')
            : this.log(report.describeRecord(record, kind, out)),
      })
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error
      process.stderr.write(
        `${this.stderrColor.yellow('interrupted:')} stopped before the end of the query; the ` +
          `checkpoint was not advanced\n`,
      )
      process.exitCode = 130
      return
    } finally {
      signals.dispose()
    }

    if (flags.json && !dryRun) {
      process.stdout.write(report.summaryJson(summary) + '\n')
      return
    }
    for (const line of report.describeSummary(summary, dryRun && flags.json ? this.stderrColor : out)) info(line)
  }
}
