import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {metricsPortFlag} from '../lib/cli/daemon-flags.js'
import type {EnrichOptions, EnrichResult} from '../lib/enrich/options.js'
import {runEnrich} from '../lib/enrich/run.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {startFromOf} from '../lib/kafka/start-from.js'
import {tuningFromEnv} from '../lib/kafka/tuning.js'
import {colorFor} from '../lib/output/color.js'
import {renderSummary} from '../lib/output/human.js'
import {daemonMetrics} from '../lib/metrics/serve.js'
import {createLogger, logFormat} from '../lib/output/log.js'
import type {ThreadMetricsHub} from '../lib/metrics/threads.js'
import {buildTopology, windowsOverRetention} from '../lib/alerts/topology.js'

export default class Enrich extends BaseCommand {
  static override summary = 'Turn the events on Kafka into alerts: consume, join the tables, produce Slack messages.'
  static override description = `Loads every table topic (account assignments, Slack users) from the beginning into memory, then consumes the alert types' source topics in a consumer group, runs each record through the pipelines and writes alerts to the Slack message topic and bad records to the dead-letter topic (headers say why, and where the record came from). Table changes keep applying while it runs.

Guarantees: at-least-once by default (an offset is committed only after everything derived from it is acknowledged, so a crash may repeat, never lose, an alert). --exactly-once uses Kafka transactions: each record's alerts and its offset commit together, so read_committed consumers see every alert once across crashes and restarts. Each instance needs a stable, distinct --instance (default: the host name).

A new consumer group (no committed offsets) starts where --from (or enrich.from) says: earliest, latest, a time or a duration ago; without either it stops and says how many records it would read. Bad table records are dead-lettered once, by the first run that reads them.

--threads N runs N members of the group in this process, each on a thread with its own clients and tables (like Kafka Streams' num.stream.threads): how one process uses several cores.

Without --follow it processes up to the end offsets seen at start, prints a summary and exits 0: run it from cron. With --follow it runs until SIGINT/SIGTERM, then finishes the batches in flight, commits and exits; a second signal exits at once.

Logs go to stderr: JSON Lines when stdout is not a terminal, readable lines otherwise (FA_LOG_FORMAT=json|human). Consumer timings can be tuned with FA_KAFKA_SESSION_TIMEOUT_MS, FA_KAFKA_HEARTBEAT_INTERVAL_MS, FA_KAFKA_REBALANCE_TIMEOUT_MS, FA_KAFKA_MAX_WAIT_MS and FA_KAFKA_CONCURRENCY.`

  static override examples = [
    {
      description: 'Process what is waiting, print a summary, exit (cron)',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'First run of a new group: only events from the last day',
      command: '<%= config.bin %> <%= command.id %> --from 1d',
    },
    {description: 'Run as a service until stopped', command: '<%= config.bin %> <%= command.id %> --follow'},
    {
      description: 'Exactly-once, one of several instances sharing the partitions',
      command: '<%= config.bin %> <%= command.id %> --follow --exactly-once --instance "$(hostname)"',
    },
    {
      description: 'One process on two cores: two members of the group, on threads of their own',
      command: '<%= config.bin %> <%= command.id %> --follow --threads 2',
    },
    {
      description: 'Another consumer group, summary as JSON',
      command: '<%= config.bin %> <%= command.id %> --group fa-enrich-staging --json',
    },
  ]

  static override enableJsonFlag = true

  static override flags = {
    group: Flags.string({
      description: 'consumer group (default: enrich.group in the config, fa-enrich)',
      helpValue: 'GROUP',
    }),
    follow: Flags.boolean({
      char: 'f',
      description: 'keep running until SIGINT/SIGTERM instead of stopping at the end offsets seen at start',
    }),
    'exactly-once': Flags.boolean({
      description: 'write alerts and commit offsets in Kafka transactions (exactly-once for read_committed consumers)',
    }),
    from: Flags.string({
      description:
        'where a new consumer group starts: earliest, latest, an ISO time or a duration ago (2h); ' +
        'default enrich.from. Without either, a new group with records waiting stops and says how many',
      helpValue: 'WHERE',
    }),
    instance: Flags.string({
      description:
        "this instance's id in the transactional id (stable across restarts, distinct per instance; " +
        'default: host name)',
      env: 'FA_INSTANCE',
      helpValue: 'ID',
    }),
    threads: Flags.integer({
      description:
        'members of the group this process runs, each on a thread of its own with its own clients and ' +
        'tables, like Kafka Streams num.stream.threads (default: enrich.threads in the config, 1)',
      min: 1,
      max: 64,
      helpValue: 'N',
    }),
    'metrics-port': metricsPortFlag,
  }

  async run(): Promise<object> {
    const {flags} = await this.parse(Enrich)
    this.verbose ||= flags.verbose
    const loaded = await this.loadConfig(flags.config)
    const topology = await buildTopology(loaded)
    const from = startFromOf(flags.from, loaded.config.enrich.from, 'enrich.from')
    const level = this.verbose ? 'debug' : undefined
    const log = createLogger({level})
    for (const warning of windowsOverRetention(topology, loaded.config)) log.warn(warning)
    const threads = flags.threads ?? loaded.config.enrich.threads

    // A signal only asks the run to stop (finish the batches in flight, commit, disconnect); a
    // second one exits at once, with 130 whichever signals they were.
    const signals = handleShutdownSignals({log, secondSignalExitCode: 130})
    let hub: ThreadMetricsHub | undefined
    const served = await daemonMetrics({
      config: loaded.config,
      port: flags['metrics-port'],
      follow: flags.follow,
      parts: ['tables', 'consumer'],
      log,
      // A scrape before the threads' hub is up (they are still starting) shows the main thread's alone.
      scrape: threads > 1 ? (own) => (hub ? hub.scrape(own) : own.registry.metrics()) : undefined,
    })

    let result: EnrichResult & {transactionalIds?: string[]}
    try {
      const options: EnrichOptions = {
        config: loaded.config,
        topology,
        group: flags.group,
        exactlyOnce: flags['exactly-once'],
        instance: flags.instance,
        follow: flags.follow,
        from,
        signal: signals.signal,
        log,
        tuning: tuningFromEnv(),
        metrics: served.metrics,
      }
      if (threads > 1) {
        const [{runEnrichThreads}, {ThreadMetricsHub}] = await Promise.all([
          import('../lib/enrich/threads.js'),
          import('../lib/metrics/threads.js'),
        ])
        if (served.serving) hub = new ThreadMetricsHub(served.metrics)
        result = await runEnrichThreads(options, {loaded, threads, log: {level, format: logFormat()}, hub})
      } else result = await runEnrich(options)
    } finally {
      signals.dispose()
      await served.close()
      // Everything is disconnected by now; if a kafkajs timer or socket still holds the event
      // loop, don't let it keep a finished run (or a stopped service) alive.
      setTimeout(() => process.exit(), 1_000).unref()
    }

    // A cron run cut short by a signal did not get to the end: say so in the exit code.
    if (!flags.follow && result.stoppedBy === 'signal') process.exitCode = signals.exitCode

    const c = colorFor(process.stdout)
    const ids = result.transactionalIds ?? (result.transactionalId ? [result.transactionalId] : [])
    const extra: Record<string, string | number> = {
      guarantee:
        result.guarantee + (ids.length > 0 ? ` (transactional id${ids.length > 1 ? 's' : ''} ${ids.join(', ')})` : ''),
      ...(threads > 1 && {threads}),
      group: result.group,
      tables:
        result.tables
          .map((t) => `${t.table} ${t.rows} rows${t.deadLetters ? ` (${t.deadLetters} dead letters)` : ''}`)
          .join(', ') || 'none',
      'lag at exit': result.lag ? String(result.lag.total) : 'unknown',
      time: `${(result.ms / 1000).toFixed(1)} s${result.stoppedBy === 'signal' ? ` (stopped by ${signals.received ?? 'signal'})` : ''}`,
    }
    this.log(renderSummary(result.summary, c, extra).trimEnd())
    return {
      guarantee: result.guarantee,
      group: result.group,
      transactionalId: result.transactionalId,
      ...(result.transactionalIds && {transactionalIds: result.transactionalIds}),
      threads,
      follow: result.follow,
      stoppedBy: result.stoppedBy,
      ...(result.summary.toJSON() as Record<string, unknown>),
      tables: result.tables,
      bootstrap: result.bootstrap,
      lag: result.lag,
      ms: result.ms,
      streamMs: result.streamMs,
      streamStartedAt: result.streamStartedAt,
      lastBatchAt: result.lastBatchAt,
    }
  }
}
