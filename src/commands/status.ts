import {Flags} from '@oclif/core'

import {buildTopology} from '../lib/alerts/topology.js'
import {BaseCommand} from '../lib/cli/base-command.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {colorFor} from '../lib/output/color.js'
import {createLogger} from '../lib/output/log.js'
import {loadProducers} from '../lib/produce/registry.js'
import {renderStatus, type StatusReport} from '../lib/status/report.js'
import {runStatus} from '../lib/status/run.js'

export default class Status extends BaseCommand {
  static override summary = 'Show where fa stands: consumer lag, members and commits, table rows, producer checkpoints.'
  static override description = `For the enrich and send consumer groups: their state, members (and the partitions each holds), and per topic and partition the committed offset, the end offset and the lag, with the total, and when the group last committed (from fa's commit metadata). For each table, its rows at the end offsets (as fa enrich would hold them). For each producer, its checkpoint (where the next --since checkpoint run starts).

--watch refreshes every --interval seconds until Ctrl-C (the tables are followed, not read again). --json prints one JSON object per report (JSON Lines with --watch).`

  static override examples = [
    {description: 'Where everything stands', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Refresh every 5 seconds', command: '<%= config.bin %> <%= command.id %> --watch'},
    {description: 'For a script', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override flags = {
    json: Flags.boolean({description: 'one JSON object per report'}),
    watch: Flags.boolean({char: 'w', description: 'refresh until Ctrl-C'}),
    interval: Flags.integer({
      description: 'seconds between refreshes with --watch (default 5)',
      min: 1,
      dependsOn: ['watch'],
      helpValue: 'SECONDS',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    this.verbose ||= flags.verbose
    const loaded = await this.loadConfig(flags.config)
    const topology = await buildTopology(loaded)
    const producers = await loadProducers({modules: loaded.config.producers.modules, dir: loaded.dir})
    const log = createLogger({level: this.verbose ? 'debug' : 'error'})
    const signals = handleShutdownSignals({log})
    const c = colorFor(process.stdout)
    const redraw = flags.watch && process.stdout.isTTY && !flags.json
    const show = (report: StatusReport) => {
      if (flags.json) process.stdout.write(JSON.stringify(report) + '\n')
      else
        process.stdout.write(
          (redraw ? '\x1b[2J\x1b[H' : '') + renderStatus(report, c) + (flags.watch && !redraw ? '\n' : ''),
        )
    }
    try {
      await runStatus({
        config: loaded.config,
        topology,
        producers: producers.map((p) => p.name),
        log,
        watchMs: flags.watch ? (flags.interval ?? 5) * 1000 : undefined,
        signal: signals.signal,
        onReport: show,
      })
      // Stopped before its one report (a --watch ends this way as it should).
      if (!flags.watch && signals.received) process.exitCode = signals.exitCode
    } finally {
      signals.dispose()
      // Everything is disconnected by now: a kafkajs retry timer must not keep a stopped status alive.
      setTimeout(() => process.exit(), 1_000).unref()
    }
  }
}
