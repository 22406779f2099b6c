import {Args, Flags} from '@oclif/core'
import type {Admin} from 'kafkajs'

import {BaseCommand} from '../lib/cli/base-command.js'
import type {Config} from '../lib/config/schema.js'
import {defaultTopics} from '../lib/config/schema.js'
import {FaError} from '../lib/errors.js'
import {connectAdmin, createKafka, disconnectQuietly} from '../lib/kafka/client.js'
import {kafkaError} from '../lib/kafka/connection.js'
import {handleShutdownSignals} from '../lib/kafka/shutdown.js'
import {parseStartFrom} from '../lib/kafka/start-from.js'
import {requireTopics} from '../lib/kafka/topics.js'
import {colorFor} from '../lib/output/color.js'
import {createLogger} from '../lib/output/log.js'
import {BufferedWriter} from '../lib/output/writer.js'
import {decoderFromConfig} from '../lib/schema/decoder.js'
import {tailTopic, type TailStart} from '../lib/tail/read.js'
import {renderTailRecord, tailEnvelope, type TailKind} from '../lib/tail/render.js'

const KINDS: Array<{kind: TailKind; key: keyof typeof defaultTopics}> = [
  {kind: 'alerts', key: 'slackMessages'},
  {kind: 'dead-letters', key: 'deadLetters'},
  {kind: 'responses', key: 'slackResponses'},
]

export default class Tail extends BaseCommand {
  static override summary = "Show the records on fa's own topics: alerts, dead letters, Slack responses."
  static override description = `TOPIC is slack-messages, fa-dead-letters or slack-responses (the default names; the configured names under topics: work too). Alerts are shown as replay --dry-run shows them, dead letters with their reason (fa-error) and the record they came from, responses as delivered (where, when) or the error.

Without --from, the last --lines records of each partition; --from earliest|latest|TIME|DURATION starts there (TIME an ISO timestamp with a zone, DURATION like 15m or 2h ago). --follow keeps printing new records until Ctrl-C. --json prints each record as a JSON Lines envelope, the fixture format (replay can read it back): alerts and responses with their value as JSON, dead letters with their original bytes as text. Records in a Schema Registry format are shown decoded.`

  static override examples = [
    {description: 'The latest dead letters and why', command: '<%= config.bin %> <%= command.id %> fa-dead-letters'},
    {
      description: 'Watch alerts as they are written',
      command: '<%= config.bin %> <%= command.id %> slack-messages --follow --from latest',
    },
    {
      description: 'Responses of the last hour as JSON Lines',
      command: '<%= config.bin %> <%= command.id %> slack-responses --from 1h --json',
    },
  ]

  static override args = {
    topic: Args.string({
      description: 'slack-messages, fa-dead-letters or slack-responses (or their configured names)',
      required: true,
    }),
  }

  static override flags = {
    follow: Flags.boolean({char: 'f', description: 'keep printing new records until Ctrl-C'}),
    from: Flags.string({
      description: 'where to start: earliest, latest, an ISO time, or a duration ago (15m, 2h, 1d)',
      helpValue: 'WHEN',
      exclusive: ['lines'],
    }),
    lines: Flags.integer({
      char: 'n',
      description: 'without --from: the last N records of each partition (default 10)',
      min: 0,
    }),
    json: Flags.boolean({description: 'each record as a JSON Lines envelope (the fixture format)'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Tail)
    this.verbose ||= flags.verbose
    const {config} = await this.loadConfig(flags.config)
    const {kind, topic} = resolveTopic(args.topic, config)
    const start = parseStart(flags.from, flags.lines)
    const log = createLogger({level: this.verbose ? 'debug' : 'error'})
    const signals = handleShutdownSignals({log})
    const out = new BufferedWriter(process.stdout)
    const c = colorFor(process.stdout)
    const kafka = await createKafka(config, {log, clientIdSuffix: 'tail'})
    let admin: Admin | undefined
    try {
      // Ctrl-C while the brokers do not answer ends it at once, not after the connection timeout.
      admin = await connectAdmin(kafka, config, signals.signal)
      await requireTopics(admin, config, [topic])
      await tailTopic({
        kafka,
        admin,
        topic,
        start,
        follow: flags.follow,
        signal: signals.signal,
        decoder: decoderFromConfig(config, (role) => config.topics[role] ?? role, log),
        onRecords: async (records) => {
          for (const read of records)
            out.write(
              flags.json
                ? JSON.stringify(tailEnvelope(kind, read.record)) + '\n'
                : renderTailRecord(kind, read.record, c, read.undecodable),
            )
          // Following, a record is shown as it arrives, not when the buffer fills or Ctrl-C ends the tail.
          if (flags.follow) await out.flush()
        },
      }).catch((error) => {
        throw error instanceof FaError ? error : kafkaError(error, config, `reading ${topic}`)
      })
    } catch (error) {
      if (!signals.received) throw error
      // Stopped before it could read (a --follow ends this way as it should).
      if (!flags.follow) process.exitCode = signals.exitCode
    } finally {
      signals.dispose()
      await out.flush()
      await disconnectQuietly(admin, 3_000)
      // Everything is disconnected by now: a kafkajs retry timer must not keep a stopped tail alive.
      setTimeout(() => process.exit(), 1_000).unref()
    }
  }
}

/** TOPIC as fa's own topic: a default name, a config key, or the configured name. */
function resolveTopic(name: string, config: Config): {kind: TailKind; topic: string} {
  for (const {kind, key} of KINDS) {
    if ([defaultTopics[key], key, config.topics[key]].includes(name)) return {kind, topic: config.topics[key]}
  }
  throw new FaError(`fa tail reads fa's own topics, not ${name}`, {
    hint: `one of ${KINDS.map(({key}) => config.topics[key]).join(', ')}`,
  })
}

function parseStart(from: string | undefined, lines: number | undefined): TailStart {
  return from === undefined ? {last: lines ?? 10} : {from: parseStartFrom('--from', from)}
}
