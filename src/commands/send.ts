import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {metricsPortFlag} from '../lib/cli/daemon-flags.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {startFromOf} from '../lib/kafka/start-from.js'
import {colorFor} from '../lib/output/color.js'
import {daemonMetrics} from '../lib/metrics/serve.js'
import {createLogger} from '../lib/output/log.js'
import {BufferedWriter} from '../lib/output/writer.js'
import type {DryRunItem} from '../lib/send/dry-run.js'
import {dryRunJson, renderDryRun} from '../lib/send/dry-run-render.js'
import type {SendResult} from '../lib/send/options.js'
import {renderSendSummary, sendSummaryJson} from '../lib/send/summary.js'
import {sendTuningFromEnv} from '../lib/send/tuning.js'
import {parseDuration} from '../lib/when.js'

export default class Send extends BaseCommand {
  static override summary = 'Deliver the alerts on Kafka to Slack, each exactly once, and record every outcome.'
  static override description = `Reads slack-responses (the outcomes recorded so far) to its end, then consumes slack-messages in the consumer group slack.group (fa-send) and posts each alert with chat.postMessage. Channels are served in parallel, each within Slack's rate (slack.perChannelPerSecond with a small burst) and a workspace-wide cap (slack.workspacePerMinute); a 429 holds only its channel for Retry-After, transient errors are retried with backoff, permanent ones (channel_not_found, invalid_blocks, ...) are not.

Every outcome is recorded on slack-responses, keyed by alert id ({alertId, ok, channel, ts, error, attempts, firstAttemptAt, deliveredAt}; never the message or the token); failures and invalid payloads also go to the dead-letter topic with an fa-error header. An alert that already has a successful response is skipped, whichever fa send recorded it, and offsets are committed only after the responses are recorded. Alerts that a crashed or stopped run may have posted without recording are looked up in the channel's history (by the alert id in the message metadata) before being posted.

A new consumer group starts where --from (or slack.from) says; without either it stops and says how many alerts it would read. Alerts whose event is older than slack.maxAlertAge (24h; --max-age) are not posted: they are recorded on slack-responses as expired and counted.

The bot token comes from SLACK_BOT_TOKEN (or slack.tokenEnv / slack.tokenFile) and is checked with auth.test first: a bad token or a missing scope stops with exit code 6.

Without --follow it sends what is waiting up to the end offsets seen at start, prints a summary and exits (cron). With --follow it runs until SIGINT/SIGTERM, then finishes the posts in flight, records them, commits and exits; a second signal exits at once.`

  static override examples = [
    {description: 'Send what is waiting, print a summary, exit (cron)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Run as a service until stopped', command: '<%= config.bin %> <%= command.id %> --follow'},
    {
      description: 'Show what would be posted, without calling Slack or committing',
      command: '<%= config.bin %> <%= command.id %> --dry-run',
    },
    {
      description: 'Try a staging replay: everything to one channel (use a staging config: its own topics and group)',
      command: '<%= config.bin %> <%= command.id %> -c staging.yaml --channel C0123STAGING',
    },
    {description: 'Summary as JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override flags = {
    follow: Flags.boolean({
      char: 'f',
      description: 'keep running until SIGINT/SIGTERM instead of stopping at the end offsets seen at start',
    }),
    'dry-run': Flags.boolean({
      description:
        "print what would be posted (from the group's committed offsets); no Slack calls, nothing " +
        'recorded or committed',
    }),
    channel: Flags.string({
      description: 'post every message to this channel instead of its recipient (outcomes are still recorded)',
      helpValue: 'C…',
    }),
    group: Flags.string({
      description: 'consumer group (default: slack.group in the config, fa-send)',
      helpValue: 'GROUP',
    }),
    'metrics-port': metricsPortFlag,
    from: Flags.string({
      description:
        'where a new consumer group starts: earliest, latest, an ISO time or a duration ago (2h); ' +
        'default slack.from. Without either, a new group with alerts waiting stops and says how many',
      helpValue: 'WHERE',
    }),
    'max-age': Flags.string({
      description:
        'alerts whose event is older are not posted but recorded on slack-responses as expired ' +
        '(default: slack.maxAlertAge, 24h)',
      helpValue: 'DURATION',
    }),
    json: Flags.boolean({
      description: 'print the summary as JSON; with --dry-run, every message as JSON Lines (summary on stderr)',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Send)
    this.verbose ||= flags.verbose
    const loaded = await this.loadConfig(flags.config)
    const {config} = loaded
    const dryRun = flags['dry-run']
    const from = startFromOf(flags.from, config.slack.from, 'slack.from')
    const maxAge = flags['max-age']
    const maxAgeMs = parseDuration(
      maxAge === undefined ? 'slack.maxAlertAge' : '--max-age',
      maxAge ?? config.slack.maxAlertAge,
    )
    const log = createLogger({level: this.verbose ? 'debug' : undefined})
    const served = await daemonMetrics({
      config,
      port: flags['metrics-port'],
      follow: flags.follow,
      parts: ['responses', 'consumer'],
      log,
    })

    let createDeliverer: Parameters<typeof import('../lib/send/run.js').runSend>[0]['createDeliverer']
    if (!dryRun) {
      // The Slack client is loaded only here: a dry run never needs it.
      const {connectSlack} = await import('../lib/send/slack.js')
      const slack = await connectSlack(config, {
        dir: loaded.dir,
        channel: flags.channel,
        metrics: served.metrics,
      }).catch(async (error: unknown) => {
        await served.close()
        throw error
      })
      log.info('Slack auth ok', {team: slack.identity.team, user: slack.identity.user, token: slack.tokenSource})
      createDeliverer = slack.createDeliverer
    }

    const out = new BufferedWriter(process.stdout)
    const c = colorFor(process.stdout)
    const show = flags.json
      ? (item: DryRunItem) => out.write(JSON.stringify(dryRunJson(item)) + '\n')
      : (item: DryRunItem) => out.write(renderDryRun(item, c))
    // Following, each item is shown as it comes, not when the buffer fills or the run stops.
    const onDryRun = flags.follow ? (item: DryRunItem) => (show(item), out.flush()) : show

    const signals = handleShutdownSignals({log})
    const {runSend} = await import('../lib/send/run.js')
    let result: SendResult
    try {
      result = await runSend({
        config,
        group: flags.group,
        follow: flags.follow,
        from,
        maxAgeMs,
        channel: flags.channel,
        signal: signals.signal,
        log,
        tuning: sendTuningFromEnv(),
        createDeliverer,
        onDryRun,
        metrics: served.metrics,
      })
    } finally {
      signals.dispose()
      await served.close()
      await out.flush()
      // Everything is disconnected by now; a kafkajs timer or socket must not keep the process alive.
      setTimeout(() => process.exit(), 1_000).unref()
    }
    if (result.error) throw result.error
    // A cron run cut short by a signal did not get to the end: say so in the exit code.
    if (!flags.follow && result.stoppedBy === 'signal') process.exitCode = signals.exitCode

    if (dryRun && flags.json) {
      // stdout holds the JSON Lines of what would be done: the summary is one more JSON line, on stderr.
      process.stderr.write(JSON.stringify(sendSummaryJson(result)) + '\n')
    } else if (flags.json) {
      process.stdout.write(JSON.stringify(sendSummaryJson(result)) + '\n')
    } else {
      this.log(renderSendSummary(result, c).trimEnd())
    }
  }
}
