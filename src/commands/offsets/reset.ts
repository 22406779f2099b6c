import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/cli/base-command.js'
import {parseStartFrom} from '../../lib/kafka/start-from.js'
import {resetGroupOffsets, type ResetResult} from '../../lib/offsets/reset.js'
import {colorFor} from '../../lib/output/color.js'
import {createLogger} from '../../lib/output/log.js'
import {plural} from '../../lib/output/plural.js'

export default class OffsetsReset extends BaseCommand {
  static override summary = "Move a consumer group's committed offsets: to the earliest, the latest, or a time."
  static override description = `Shows, per partition, the committed offset now, the new one and how many records the group would have left to read; --yes applies it. Refused (exit 7) while the group has active members: stop its fa enrich / fa send processes first. Topics: those the group has committed offsets for, or --topic.

A time is an ISO timestamp with its zone, a date, or a duration ago (2h, 1d): each partition moves to its first record at or after that time (none: its end).`

  static override examples = [
    {
      description: 'See what skipping the backlog of fa-send would change',
      command: '<%= config.bin %> <%= command.id %> --group fa-send --to latest',
    },
    {
      description: 'Re-read the last day of events in fa-enrich',
      command: '<%= config.bin %> <%= command.id %> --group fa-enrich --to 1d --yes',
    },
  ]

  static override enableJsonFlag = true

  static override flags = {
    group: Flags.string({description: 'the consumer group', required: true, helpValue: 'GROUP'}),
    to: Flags.string({
      description: 'earliest, latest, an ISO time or a duration ago (2h)',
      required: true,
      helpValue: 'WHERE',
    }),
    topic: Flags.string({
      description: 'topics to reset (repeatable; default: those the group has committed offsets for)',
      multiple: true,
      helpValue: 'TOPIC',
    }),
    yes: Flags.boolean({char: 'y', description: 'apply the change (without it, only show it)'}),
  }

  async run(): Promise<ResetResult> {
    const {flags} = await this.parse(OffsetsReset)
    this.verbose ||= flags.verbose
    const to = parseStartFrom('--to', flags.to)
    const {config} = await this.loadConfig(flags.config)
    const result = await resetGroupOffsets({
      config,
      group: flags.group,
      to,
      topics: flags.topic,
      apply: Boolean(flags.yes),
      log: createLogger({level: this.verbose ? 'debug' : 'error'}),
    })
    const c = colorFor(process.stdout)
    const width = Math.max(5, ...result.partitions.map((p) => p.topic.length))
    this.log(c.dim(`${'topic'.padEnd(width)}  partition  current →    new  to read now → after`))
    for (const p of result.partitions) {
      const current = p.current === null ? '-' : String(p.current)
      this.log(
        `${p.topic.padEnd(width)}  ${String(p.partition).padStart(9)}  ${current.padStart(7)} → ` +
          `${String(p.target).padStart(6)}  ${String(p.lagBefore).padStart(11)} → ${p.lagAfter}`,
      )
    }
    const before = result.partitions.reduce((n, p) => n + p.lagBefore, 0)
    const after = result.partitions.reduce((n, p) => n + p.lagAfter, 0)
    const what =
      `${result.group} to ${result.to}: ${plural(result.partitions.length, 'partition')}, ${plural(before, 'record')} ` +
      `to read → ${after}`
    if (result.applied) this.log(c.bold(`reset ${what}`))
    else {
      this.log(c.bold(`would reset ${what}`))
      this.log(
        result.members > 0
          ? c.yellow(
              `the group has ${plural(result.members, 'active member')}: stop ${result.members === 1 ? 'it' : 'them'}, ` +
                'then run again with --yes',
            )
          : c.dim('run again with --yes to apply'),
      )
    }
    return result
  }
}
