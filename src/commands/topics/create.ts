import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/cli/base-command.js'
import {FaError} from '../../lib/errors.js'
import {kafkaError} from '../../lib/kafka/connection.js'
import {connectAdmin, createKafka, disconnectQuietly} from '../../lib/kafka/client.js'
import {ensureTopics, type EnsureTopicsResult, type TopicState} from '../../lib/kafka/topics.js'
import {colorFor} from '../../lib/output/color.js'
import {createLogger} from '../../lib/output/log.js'
import {buildTopology} from '../../lib/alerts/topology.js'

export default class TopicsCreate extends BaseCommand {
  static override summary = 'Create the Kafka topics the configured pipelines use.'
  static override description = `Creates every topic the enabled alert types read and write: their source topics, the tables they join (compacted), the Slack message sink, dead letters (fa-dead-letters), Slack responses and checkpoints (both compacted); with a stateful alert type, the state changelog (fa-state, compacted) and, per stateful alert type, fa enrich's repartition topic <group>-<alert type>-repartition (as many partitions as its source, no time-based retention). Names come from the config's "topics:" section.

Idempotent: topics that already exist are reported with their partitions, replication and cleanup policy, and left unchanged. A table topic that exists but is not compacted gets a warning.`

  static override examples = [
    {description: 'Create the topics on the configured cluster', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Six partitions, replication factor 3',
      command: '<%= config.bin %> <%= command.id %> --partitions 6 --replication-factor 3',
    },
    {description: 'Show what would be created', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'Machine-readable result', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  static override enableJsonFlag = true

  static override flags = {
    partitions: Flags.integer({
      description: 'partitions of new topics (default: kafka.partitions in the config, 3)',
      min: 1,
    }),
    'replication-factor': Flags.integer({
      description: 'replication factor of new topics (default: kafka.replicationFactor, 1)',
      min: 1,
    }),
    'dry-run': Flags.boolean({description: 'only list the topics that would be created'}),
    group: Flags.string({
      description: "fa enrich's consumer group, whose repartition topics to create (default: enrich.group)",
    }),
  }

  async run(): Promise<EnsureTopicsResult & {dryRun: boolean}> {
    const {flags} = await this.parse(TopicsCreate)
    this.verbose ||= flags.verbose
    const loaded = await this.loadConfig(flags.config)
    const {config} = loaded
    const topology = await buildTopology(loaded)
    // A one-shot admin command: kafkajs' own retry chatter only with --verbose, and an unreachable
    // cluster is reported after a few seconds, not after the long backoff a service wants.
    const log = createLogger({level: this.verbose ? 'debug' : 'error'})
    const kafka = await createKafka(config, {
      log,
      clientIdSuffix: 'topics',
      retry: {retries: 3, initialRetryTime: 300, maxRetryTime: 2_000},
    })
    const admin = await connectAdmin(kafka, config)
    let result: EnsureTopicsResult
    try {
      result = await ensureTopics(
        admin,
        {topology, config, group: flags.group},
        {
          partitions: flags.partitions ?? config.kafka.partitions,
          replicationFactor: flags['replication-factor'] ?? config.kafka.replicationFactor,
          dryRun: flags['dry-run'],
        },
      )
    } catch (error) {
      throw error instanceof FaError ? error : kafkaError(error, config, 'creating topics')
    } finally {
      await disconnectQuietly(admin)
    }

    const c = colorFor(process.stdout)
    const line = (state: TopicState, what: string) =>
      `${what} ${state.topic.padEnd(width)}  ${String(state.partitions).padStart(3)} partitions  ` +
      `rf ${state.replicationFactor}  ${state.cleanupPolicy.padEnd(7)}  ${c.dim(state.roles.join(', '))}`
    const width = Math.max(0, ...[...result.created, ...result.existing].map((s) => s.topic.length))
    const verb = flags['dry-run'] ? 'would create' : 'created'
    for (const state of result.created) this.log(line(state, c.green(verb.padEnd(12))))
    for (const state of result.existing) this.log(line(state, c.dim('exists'.padEnd(12))))
    for (const warning of result.warnings) this.warn(warning)
    this.log(c.bold(`${result.created.length} ${verb}, ${result.existing.length} already existed`))
    return {...result, dryRun: Boolean(flags['dry-run'])}
  }
}
