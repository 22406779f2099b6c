import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {FaError} from '../lib/errors.js'
import {colorFor} from '../lib/output/color.js'
import {compareGolden, writeGolden} from '../lib/output/golden.js'
import {renderAlert, renderDeadLetter, renderSummary} from '../lib/output/human.js'
import {progressBar} from '../lib/output/progress.js'
import {BufferedWriter} from '../lib/output/writer.js'
import {buildTopology} from '../lib/pipeline/build.js'
import {toEnvelope} from '../lib/records/envelope.js'
import {replayDryRun, type Produced} from '../lib/replay/dry-run.js'

export default class Replay extends BaseCommand {
  static override summary = 'Pipe fixture files of topic records through the alert pipelines.'
  static override description = `Each FILE is JSON Lines, one topic record per line:
  {"topic": "data-notifications-pipeline", "key": "org-1", "value": {...}, "headers": {...}, "timestamp": "..."}
Records apply in file order: table records (assignments, Slack users) update the tables, events run through every alert type that reads their topic.

With --dry-run everything happens in this process (no Kafka, Slack or cloud account): alerts and dead letters are printed, or compared with a golden file (--expect) to test alert rules in CI.`

  static override examples = [
    {description: 'Show the alerts a fixture produces', command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run'},
    {description: 'Every produced record as JSON Lines', command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --json > out.jsonl'},
    {description: 'Test alert rules against a golden file (exit 1 on any difference)', command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --expect fixtures/provisioning.expected.jsonl'},
    {description: 'Accept the current output as the new golden file', command: '<%= config.bin %> <%= command.id %> fixtures/provisioning.jsonl --dry-run --expect fixtures/provisioning.expected.jsonl --update'},
  ]

  static override strict = false
  static override args = {
    file: Args.string({description: 'fixture file(s), JSON Lines of topic records', required: true}),
  }

  static override flags = {
    'dry-run': Flags.boolean({description: 'run the pipelines in this process instead of producing to Kafka'}),
    json: Flags.boolean({description: 'print every produced record as JSON Lines on stdout (summary on stderr)'}),
    expect: Flags.string({description: 'golden JSONL file to compare the produced records with; exit 1 on any difference', helpValue: 'FILE'}),
    update: Flags.boolean({description: 'with --expect: rewrite the golden file with the produced records', dependsOn: ['expect']}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Replay)
    this.verbose ||= flags.verbose
    const files = argv as string[]
    if (!flags['dry-run']) {
      throw new FaError('replay into Kafka is not available yet', {hint: 'use --dry-run to run the pipelines in this process'})
    }
    const topology = await buildTopology(await this.loadConfig(flags.config))
    const out = colorFor(process.stdout)
    const err = colorFor(process.stderr)
    const stdout = new BufferedWriter(process.stdout)
    const golden: string[] = []
    const emit = flags.expect
      ? (produced: Produced) => void golden.push(JSON.stringify(toEnvelope(produced.output)))
      : flags.json
        ? (produced: Produced) => stdout.write(JSON.stringify(toEnvelope(produced.output)) + '\n')
        : (produced: Produced, source: Parameters<typeof renderDeadLetter>[1]) =>
            stdout.write(produced.kind === 'alert' ? renderAlert(produced, out) : renderDeadLetter(produced, source, out))

    let bar: ReturnType<typeof progressBar>
    const summary = await replayDryRun({
      files,
      topology,
      onOutput: emit,
      onProgress: ({bytesRead, totalBytes}) => {
        if (totalBytes < 8 << 20) return
        bar ??= progressBar('replay', Math.ceil(totalBytes / 1024), 'KiB')
        bar?.update(Math.floor(bytesRead / 1024))
      },
    }).finally(() => bar?.stop())
    await stdout.flush()

    const toStderr = Boolean(flags.json || flags.expect)
    const summaryText = renderSummary(summary, toStderr ? err : out)
    if (toStderr) process.stderr.write(summaryText)
    else this.log(summaryText.trimEnd())

    if (!flags.expect) return
    if (flags.update) {
      await writeGolden(flags.expect, golden)
      process.stderr.write(`wrote ${golden.length} records to ${flags.expect}\n`)
      return
    }
    const result = await compareGolden(flags.expect, golden, err)
    if (result.ok) {
      process.stderr.write(`${err.green('✓')} ${golden.length} records match ${flags.expect}\n`)
      return
    }
    process.stderr.write(`${result.diff}\n${err.red('✗')} ${result.differences} records differ from ${flags.expect} (- expected, + produced); run with --update to accept\n`)
    this.exit(1)
  }
}
