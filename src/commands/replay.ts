import {Args, Flags} from '@oclif/core'

import {BaseCommand, type BaseFlags} from '../lib/cli/base-command.js'
import type {LoadedConfig} from '../lib/config/load.js'
import {createLogger} from '../lib/output/log.js'
import {PARALLEL_BYTES} from '../lib/replay/dry-run.js'
import {withStdin} from '../lib/fixtures/stdin.js'
import {dryRunCli} from '../lib/replay/dry-run-cli.js'
import {produceCli} from '../lib/replay/produce-cli.js'
import {topicAliases} from '../lib/replay/topic-names.js'

export default class Replay extends BaseCommand {
  static override summary = 'Pipe fixture files of topic records through the alert pipelines.'
  static override description = `Each FILE is JSON Lines, one topic record per line:
  {"topic": "data-notifications-pipeline", "key": "org-1", "value": {...}, "headers": {...}, "timestamp": "..."}
Records apply in file order: table records (assignments, Slack users) update the tables, events run through every alert type that reads their topic. fa enrich instead loads the tables to their end before the events: --tables-first shows what it will make of a fixture replayed into Kafka.

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
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl ' +
        '--dry-run --expect fixtures/provisioning.expected.jsonl',
    },
    {
      description: 'Accept the current output as the new golden file',
      command:
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl ' +
        '--dry-run --expect fixtures/provisioning.expected.jsonl --update',
    },
    {
      description: 'See every alert as Slack will show it, and why each record did or did not alert',
      command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --html report.html --explain',
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
        '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl ' +
        '--topic data-notifications-pipeline=test-notifications --yes',
    },
  ]

  // Written out: oclif's generated line for flags exclusive of --dry-run leaves stray `| ]`.
  static override usage = [
    '<%= command.id %> FILE... --dry-run [--json] [--expect FILE [--update]] [--explain] [--only FATES] ' +
      '[--explain-file FILE] [--html FILE] [--tables-first] [--workers N] [--schemas URL] [-c FILE] [--verbose]',
    '<%= command.id %> FILE... [--topic-prefix PFX] [--topic FROM=TO...] [--timestamps ' +
      'keep|now] [-y] [--json] [-c FILE] [--verbose]',
  ]

  static override strict = false
  static override args = {
    file: Args.string({
      description: 'fixture file(s), JSON Lines of topic records; - reads standard input',
      required: true,
    }),
  }

  static override flags = {
    'dry-run': Flags.boolean({description: 'run the pipelines in this process instead of producing to Kafka'}),
    json: Flags.boolean({
      description:
        'with --dry-run: print every produced record as JSON Lines on stdout (summary on stderr); ' +
        'else print the summary as JSON',
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
    explain: Flags.boolean({
      description:
        "with --dry-run: print every record's fate with its FILE:LINE (alerted, filtered, " +
        'unassigned, no-slack-user, dead-letter, table, unread); JSON Lines on stderr with --json ' +
        'or --expect. --verbose implies it and adds Block Kit Builder links',
      dependsOn: ['dry-run'],
    }),
    only: Flags.string({
      description:
        'with --dry-run: explain only records of these fates (comma-separated, e.g. unassigned,no-slack-user)',
      helpValue: 'FATES',
      multiple: true,
      dependsOn: ['dry-run'],
    }),
    'explain-file': Flags.string({
      description: 'with --dry-run: write the fates as JSON Lines to FILE instead (implies --explain)',
      helpValue: 'FILE',
      dependsOn: ['dry-run'],
    }),
    html: Flags.string({
      description:
        'with --dry-run: write one self-contained HTML page of the run: every alert as Slack shows ' +
        'it, by recipient, with Block Kit Builder links; dead letters, drops, the summary',
      helpValue: 'FILE',
      dependsOn: ['dry-run'],
    }),
    'tables-first': Flags.boolean({
      description:
        'with --dry-run: load every table record of the files before any event, as fa enrich does ' +
        "after a replay into Kafka (default: file order, as Kafka Streams' test driver)",
      dependsOn: ['dry-run'],
    }),
    workers: Flags.integer({
      description:
        `with --dry-run: threads to run the pipelines on; the output is the same (default: one per ` +
        `CPU, up to 4, for ${PARALLEL_BYTES >> 20} MiB of fixtures or more, else 1)`,
      min: 1,
      max: 64,
      helpValue: 'N',
      dependsOn: ['dry-run'],
    }),
    schemas: Flags.string({
      description:
        "with --dry-run: check every fixture value against its topic's schema in this Schema " +
        'Registry (default: the configured one, if any)',
      helpValue: 'URL',
      dependsOn: ['dry-run'],
    }),
    yes: Flags.boolean({char: 'y', description: 'produce to a cluster that is not on localhost without asking'}),
    timestamps: Flags.option({
      options: ['keep', 'now'] as const,
      default: 'keep',
      description:
        "when producing: keep each record's timestamp, or use the time of producing (brokers reject " +
        'timestamps over an hour ahead, and retention deletes old ones)',
      exclusive: ['dry-run'],
    })(),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Replay)
    this.verbose ||= flags.verbose
    const {files, cleanup, rename, nameOf} = await withStdin(argv as string[])
    try {
      const loaded = await this.loadConfig(flags.config)
      if (flags['dry-run']) await this.dryRun(files, flags, loaded, nameOf)
      else
        await produceCli({
          files,
          loaded,
          prefix: flags['topic-prefix'],
          mappings: flags.topic,
          yes: flags.yes,
          json: flags.json,
          timestamps: flags.timestamps,
          // kafkajs logs retried trouble (e.g. a coordinator still loading) as errors: only with --verbose.
          log: createLogger({level: this.verbose ? 'debug' : 'error'}),
        })
    } catch (error) {
      throw rename(error)
    } finally {
      await cleanup()
    }
  }

  private async dryRun(
    files: string[],
    flags: BaseFlags<typeof Replay>,
    loaded: LoadedConfig,
    nameOf: (file: string) => string,
  ): Promise<void> {
    // With a Schema Registry configured, fixtures must fit their topics' schemas (no registry: no check).
    if (flags.schemas) loaded.config.schemaRegistry.url = flags.schemas
    if (loaded.config.schemaRegistry.url)
      await (
        await import('../lib/schema/fixtures.js')
      ).checkFixtureSchemas(files, loaded.config, topicAliases(loaded.config.topics))
    const code = await dryRunCli({
      files,
      nameOf,
      loaded,
      json: flags.json,
      expect: flags.expect,
      update: flags.update,
      workers: flags.workers,
      explain: flags.explain || this.verbose || Boolean(flags['explain-file']),
      only: flags.only
        ?.flatMap((names) => names.split(','))
        .map((name) => name.trim())
        .filter(Boolean),
      explainFile: flags['explain-file'],
      links: this.verbose,
      tablesFirst: flags['tables-first'],
      html: flags.html,
    })
    if (code !== 0) this.exit(code)
  }
}
