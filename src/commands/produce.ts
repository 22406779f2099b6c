import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import type {Config} from '../lib/config/schema.js'
import {FaError} from '../lib/errors.js'
import {parseTime, WHEN_EXPECTED} from '../lib/when.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {colorFor} from '../lib/output/color.js'
import {createLogger, silentLogger} from '../lib/output/log.js'
import {ProduceHeader} from '../lib/produce/headers.js'
import type {ProduceSummary} from '../lib/produce/summary.js'

const SUMMARY_KEYS_FIRST = [
  'producer',
  'rows',
  'events',
  'deadLetters',
  'topic',
  'window',
  'bytesProcessed',
  'jobId',
  'durationMs',
] as const satisfies ReadonlyArray<keyof ProduceSummary>

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
    const [{findProducer}, {runProduce}, {describeEstimate, formatCost, InterruptedError}] = await Promise.all([
      import('../lib/produce/registry.js'),
      import('../lib/produce/run.js'),
      import('../lib/produce/outcome.js'),
    ])
    const loaded = await this.loadConfig(flags.config)
    const producer = await findProducer(args.name, {modules: loaded.config.producers.modules, dir: loaded.dir})
    if (flags.checkpoint) return this.checkpoint(producer.name, flags.checkpoint, args.time, loaded.config, flags.json)
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
        onEstimate: (estimate) => info(describeEstimate(estimate, loaded.config.bigquery.pricePerTiB, flags.preview)),
        onRecord: (record, kind) => {
          if (flags.json) process.stdout.write(JSON.stringify(record) + '\n')
          else if (kind === 'event')
            this.log(
              `${out.green('→')} ${record.topic} ${out.bold(String(record.key))} ${JSON.stringify(record.value)}`,
            )
          else
            this.log(
              `${out.red('✗')} dead letter, row ${record.headers?.[ProduceHeader.row]}: ` +
                `${record.headers?.[ProduceHeader.error]}`,
            )
        },
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
      // These keys first, in this order, then the rest as the summary has them.
      const first = Object.fromEntries(SUMMARY_KEYS_FIRST.map((key) => [key, summary[key]]))
      process.stdout.write(JSON.stringify({...first, ...summary}) + '\n')
      return
    }
    for (const line of this.describe(summary, dryRun && flags.json ? this.stderrColor : out, formatCost)) info(line)
  }

  private async checkpoint(
    producer: string,
    kind: string,
    time: string | undefined,
    config: Config,
    json: boolean,
  ): Promise<void> {
    if ((kind === 'set') !== (time !== undefined))
      throw new FaError(kind === 'set' ? '--checkpoint set needs a TIME' : `--checkpoint ${kind} takes no TIME`, {
        hint: `e.g. \`fa produce ${producer} --checkpoint set 2026-01-31T00:00:00Z\``,
      })
    if (kind === 'set' && parseTime('--checkpoint set', time!, new Date(), WHEN_EXPECTED) > new Date())
      throw new FaError(`--checkpoint set ${time}: that is in the future`, {
        hint: 'rows before it that arrive later would never be produced',
      })
    const {manageCheckpoint} = await import('../lib/produce/checkpoint-admin.js')
    const action =
      kind === 'set'
        ? {kind: 'set' as const, until: parseTime('--checkpoint set', time!, new Date(), WHEN_EXPECTED)}
        : {kind: kind as 'show' | 'reset'}
    const change = await manageCheckpoint({config, producer, action})
    if (json) {
      process.stdout.write(JSON.stringify(change) + '\n')
      return
    }
    const c = colorFor(process.stdout)
    if (kind === 'show') {
      const cp = change.checkpoint
      this.log(
        cp
          ? `${producer}: checkpoint ${c.bold(cp.until)} ${c.dim(`(written ${cp.committedAt} by ${cp.host}, job ${cp.jobId ?? '-'}, ${cp.events} events)`)}`
          : `${producer}: no checkpoint in ${change.topic}`,
      )
    } else {
      this.log(`${producer}: checkpoint ${change.previous ?? '(none)'} → ${c.bold(change.current ?? '(none)')}`)
    }
  }

  private describe(s: ProduceSummary, c: ReturnType<typeof colorFor>, formatCost: (cost: number) => string): string[] {
    const window = `${s.window.since} → ${s.window.until}`
    const dead =
      s.deadLetters > 0
        ? c.red(`, ${s.deadLetters} dead letter${s.deadLetters === 1 ? '' : 's'} to ${s.deadLetterTopic}`)
        : ''
    if (s.dryRun && s.preview === undefined) {
      return [
        c.bold('dry run: estimate only; nothing was queried or produced (--preview N runs the query and shows events)'),
        c.dim(`  window ${window}`),
      ]
    }
    if (s.dryRun) {
      return [
        c.bold(
          `preview: ${s.rows} rows (at most ${s.preview}) would give ${s.events} ` +
            `event${s.events === 1 ? '' : 's'} for ${s.topic}${dead}; nothing was produced`,
        ),
        c.dim(`  window ${window}, job ${s.jobId ?? '-'} (billed)`),
      ]
    }
    if (s.jobId === null) return [`${s.producer}: nothing to do: ${s.checkpoint.note}`]
    const cp = s.checkpoint
    const checkpoint = cp.advanced
      ? `advanced to ${cp.current}${cp.previous ? c.dim(` (was ${cp.previous})`) : ''}`
      : c.yellow(`stays at ${cp.current ?? '(none)'}: ${cp.note}`)
    return [
      c.bold(
        `produced ${s.events} event${s.events === 1 ? '' : 's'} from ${s.rows} rows of ` +
          `${s.producer} to ${s.topic}${dead}`,
      ),
      `  window      ${window}${s.grace && s.grace !== '0' ? c.dim(` (from ${s.grace} before the checkpoint, for late rows)`) : ''}`,
      `  BigQuery    job ${s.jobId}: ${s.bytesProcessed} bytes ` +
        `processed, ${s.bytesBilled} billed ($${formatCost(s.cost)})`,
      `  checkpoint  ${checkpoint}`,
      c.dim(`  took ${s.durationMs} ms`),
    ]
  }
}
