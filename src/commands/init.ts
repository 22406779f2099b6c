import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {loadConfig} from '../lib/config/load.js'
import {defaultTopics} from '../lib/config/schema.js'
import {
  assertWritable,
  brokerListProblem,
  ENV_NAME,
  prefixedTopics,
  renderConfig,
  splitBrokers,
  TOPIC_NAME,
  writeConfigFile,
  type InitSettings,
  type SaslMechanism,
} from '../lib/config/write.js'
import {FaError} from '../lib/errors.js'
import {isLocalCluster, kafkaError} from '../lib/kafka/connection.js'
import {colorFor} from '../lib/output/color.js'

type Where = 'local' | 'confluent' | 'other'
type SaslChoice = 'none' | SaslMechanism
type Prompts = typeof import('@inquirer/prompts')

interface InitFlags {
  kafka?: Where
  brokers?: string
  tls?: boolean
  sasl?: SaslChoice
  'username-env'?: string
  'password-env'?: string
  partitions?: number
  'replication-factor'?: number
  'topic-prefix'?: string
  topic?: string[]
  group?: string
}

const TOPIC_LABELS: Record<keyof typeof defaultTopics, string> = {
  notifications: 'connector notifications (events)',
  assignments: 'CSDR assignments (table)',
  slackUsers: 'Slack users (table)',
  onboarding: 'onboarding events',
  slackMessages: 'Slack messages (alerts out)',
  slackResponses: 'Slack responses',
  deadLetters: 'dead letters',
  checkpoints: 'checkpoints',
}

export default class Init extends BaseCommand {
  static override summary =
    'Write fa.config.yaml: where Kafka is, credentials (as env var names), topics, consumer group.'
  static override description = `Asks where Kafka is (the local test broker from \`npm run kafka:up\`, Confluent Cloud, or another cluster), which environment variables hold the credentials, the topic names and the consumer group; writes the config file; then offers to check the connection and to create the topics.

Every answer also has a flag: with --yes, questions not answered by a flag take their defaults, so \`fa init --yes ...\` runs without a terminal. Secrets are never written: the file names the environment variables that hold them. An existing file is only replaced with --force.`

  static override examples = [
    {description: 'Answer the questions', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'The local test broker, defaults everywhere',
      command: '<%= config.bin %> <%= command.id %> --yes --kafka local',
    },
    {
      description: 'Confluent Cloud (SASL_SSL PLAIN; key and secret in KAFKA_API_KEY / KAFKA_API_SECRET)',
      command:
        '<%= config.bin %> <%= command.id %> --yes --kafka confluent --brokers pkc-abc12.us-east-1.aws.confluent.cloud:9092 --no-create-topics',
    },
    {
      description: 'Another cluster with TLS and SCRAM, staging topic names',
      command:
        '<%= config.bin %> <%= command.id %> --yes --kafka other --brokers k1:9093,k2:9093 --tls --sasl scram-sha-512 --username-env KAFKA_USER --password-env KAFKA_PASS --topic-prefix staging. --group fa-staging',
    },
  ]

  static override flags = {
    yes: Flags.boolean({
      char: 'y',
      description: 'ask nothing: questions not answered by a flag take their defaults (needed without a terminal)',
    }),
    force: Flags.boolean({description: 'replace an existing config file'}),
    output: Flags.string({
      char: 'o',
      description: 'file to write (default: --config / FA_CONFIG if given, else fa.config.yaml)',
      helpValue: 'FILE',
    }),
    kafka: Flags.option({
      options: ['local', 'confluent', 'other'] as const,
      description: 'where Kafka is (default with --yes: local)',
    })(),
    brokers: Flags.string({
      description: 'bootstrap servers, host:port[,host:port...] (local: read from .kafka/bootstrap)',
      helpValue: 'LIST',
    }),
    tls: Flags.boolean({description: 'other cluster: connect with TLS', allowNo: true}),
    sasl: Flags.option({
      options: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
      description: 'other cluster: SASL mechanism (default none)',
    })(),
    'username-env': Flags.string({
      description: 'environment variable holding the SASL username / API key',
      helpValue: 'NAME',
    }),
    'password-env': Flags.string({
      description: 'environment variable holding the SASL password / API secret',
      helpValue: 'NAME',
    }),
    partitions: Flags.integer({description: 'partitions of topics fa creates (default 3)', min: 1}),
    'replication-factor': Flags.integer({
      description: 'replication factor of topics fa creates (default: 1 local, 3 otherwise)',
      min: 1,
    }),
    'topic-prefix': Flags.string({description: 'prefix for every default topic name', helpValue: 'PFX'}),
    topic: Flags.string({
      description: `one topic name, e.g. notifications=my-events (names: ${Object.keys(defaultTopics).join(', ')}); repeatable`,
      multiple: true,
      helpValue: 'NAME=TOPIC',
    }),
    group: Flags.string({description: 'consumer group of `fa enrich` (default fa-enrich)', helpValue: 'GROUP'}),
    check: Flags.boolean({description: 'check the connection after writing (default: yes)', allowNo: true}),
    'create-topics': Flags.boolean({
      description: 'create the topics after writing (default: yes on a local broker, no elsewhere)',
      allowNo: true,
    }),
  }

  private prompts?: Prompts

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    this.verbose ||= flags.verbose
    const file = path.resolve(flags.output ?? flags.config ?? 'fa.config.yaml')
    const interactive = !flags.yes
    if (interactive && !(process.stdin.isTTY && process.stdout.isTTY)) {
      throw new FaError('fa init asks questions and needs a terminal', {
        hint: 'without one, pass --yes and answer with flags, e.g. `fa init --yes --kafka local`; see `fa init --help`',
      })
    }
    assertWritable(file, flags.force)
    if (interactive) this.prompts = await import('@inquirer/prompts')

    let settings: InitSettings
    try {
      settings = await this.ask(flags)
    } catch (error) {
      throw cancelled(error, 'init cancelled: nothing was written')
    }
    const text = renderConfig(settings)
    await writeConfigFile(file, text, {force: flags.force})
    const c = colorFor(process.stdout)
    const shown = path.relative(process.cwd(), file) || file
    this.log(`${c.green('✓')} wrote ${shown}`)

    // From here on, the same config every other command will use (environment included).
    const loaded = await loadConfig(file)
    const {config} = loaded
    if (process.env.KAFKA_BROKERS && config.kafka.brokers.join(',') !== settings.brokers.join(',')) {
      this.log(
        c.dim(`note: KAFKA_BROKERS is set, so fa uses ${config.kafka.brokers.join(',')} instead of kafka.brokers`),
      )
    }
    const local = isLocalCluster(config)
    // Credentials are usually exported later: without them, a check fa chose to run is skipped, not failed.
    const sasl = config.kafka.sasl
    const missingCredentials = sasl ? [sasl.usernameEnv, sasl.passwordEnv].filter((name) => !process.env[name]) : []
    let failure: FaError | undefined
    let skipped = false
    let created = false
    try {
      let check =
        flags.check ??
        (interactive
          ? await this.prompts!.confirm({message: 'Check the connection to Kafka now?', default: true})
          : true)
      if (check && missingCredentials.length > 0 && flags.check === undefined) {
        this.log(
          c.dim(
            `skipped the connection check: ${missingCredentials.join(' and ')} ${missingCredentials.length > 1 ? 'are' : 'is'} not set`,
          ),
        )
        check = false
        skipped = true
      }
      if (check) {
        const {checkConnection} = await import('../lib/kafka/check.js')
        try {
          const info = await checkConnection(config)
          this.log(
            `${c.green('✓')} connected to ${config.kafka.brokers.join(',')}: cluster ${info.clusterId}, ${info.brokers} broker${info.brokers === 1 ? '' : 's'}`,
          )
        } catch (error) {
          failure = error instanceof FaError ? error : kafkaError(error, config, 'connecting')
        }
      }
      const create =
        !failure &&
        !skipped &&
        (flags['create-topics'] ??
          (interactive
            ? await this.prompts!.confirm({
                message: `Create the topics on ${config.kafka.brokers.join(',')} now?`,
                default: local,
              })
            : local))
      if (create) {
        try {
          await this.createTopics(loaded)
          created = true
        } catch (error) {
          failure = error instanceof FaError ? error : kafkaError(error, config, 'creating topics')
        }
      }
    } catch (error) {
      throw cancelled(error, `stopped; ${shown} was written`)
    }
    if (failure) this.log(`${c.red('✗')} ${failure.message}${failure.hint ? c.dim(` (${failure.hint})`) : ''}`)

    this.log('')
    this.log(c.bold('next:'))
    if (settings.sasl)
      this.log(
        `  export ${settings.sasl.usernameEnv}=… ${settings.sasl.passwordEnv}=…   ${c.dim('# the credentials, never in the file')}`,
      )
    if (failure) this.log(`  fa init --force ...        ${c.dim('# to change the answers')}`)
    if (!created) this.log(`  fa topics create           ${c.dim('# creates missing topics (idempotent)')}`)
    this.log(`  fa replay fixtures/provisioning.jsonl --dry-run`)
    // The file is written and the failure explained above: exit with its code, without repeating it.
    if (failure) this.exit(failure.exitCode)
  }

  /** Flags first; a question only for what they leave open (or its default with --yes). */
  private async ask(f: InitFlags): Promise<InitSettings> {
    const p = this.prompts
    const detected = detectLocalBroker(this.config.root)

    const where: Where =
      f.kafka ??
      (p
        ? await p.select<Where>({
            message: 'Where is Kafka?',
            choices: [
              {
                name: `The local test broker${detected ? ` (${detected.brokers} from ${detected.file})` : ' (`npm run kafka:up`)'}`,
                value: 'local',
              },
              {name: 'Confluent Cloud (SASL_SSL, API key and secret)', value: 'confluent'},
              {name: 'Another cluster', value: 'other'},
            ],
          })
        : 'local')

    if (where !== 'other') {
      const fixed =
        where === 'local' ? 'a local broker has no TLS or SASL' : 'Confluent Cloud always uses TLS and SASL PLAIN'
      if (f.sasl !== undefined || f.tls !== undefined)
        throw new FaError(`--sasl and --tls only apply with --kafka other (${fixed})`)
    }
    if (where === 'local' && (f['username-env'] || f['password-env'])) {
      throw new FaError(
        '--username-env and --password-env do not apply with --kafka local (a local broker has no SASL)',
      )
    }

    const brokers = await this.brokers(where, f.brokers, detected?.brokers)
    let ssl = false
    let sasl: InitSettings['sasl']
    if (where === 'confluent') {
      ssl = true
      sasl = {
        mechanism: 'plain',
        ...(await this.envNames(f, 'KAFKA_API_KEY', 'KAFKA_API_SECRET', 'API key', 'API secret')),
      }
    } else if (where === 'other') {
      ssl = f.tls ?? (p ? await p.confirm({message: 'Connect with TLS?', default: false}) : false)
      const mechanism: SaslChoice =
        f.sasl ??
        (p
          ? await p.select<SaslChoice>({
              message: 'SASL authentication',
              choices: [
                {name: 'none', value: 'none'},
                {name: 'PLAIN', value: 'plain'},
                {name: 'SCRAM-SHA-256', value: 'scram-sha-256'},
                {name: 'SCRAM-SHA-512', value: 'scram-sha-512'},
              ],
            })
          : 'none')
      if (mechanism === 'none') {
        if (f['username-env'] || f['password-env'])
          throw new FaError('--username-env and --password-env need --sasl plain, scram-sha-256 or scram-sha-512')
      } else {
        sasl = {mechanism, ...(await this.envNames(f, 'KAFKA_USERNAME', 'KAFKA_PASSWORD', 'username', 'password'))}
      }
    }

    const partitions = f.partitions ?? 3
    const replicationFactor =
      f['replication-factor'] ??
      (where === 'local'
        ? 1
        : where === 'other' && p
          ? Number(
              await p.input({
                message: 'Replication factor of topics fa creates',
                default: '3',
                validate: (v) => /^[1-9]\d*$/.test(v.trim()) || 'a positive number',
              }),
            )
          : 3)

    const topics = await this.topics(f['topic-prefix'], f.topic)
    const group =
      f.group ??
      (p
        ? (
            await p.input({
              message: 'Consumer group of `fa enrich`',
              default: 'fa-enrich',
              validate: (v) => v.trim() !== '' || 'required',
            })
          ).trim()
        : 'fa-enrich')

    return {brokers, ssl, sasl, topics, group, partitions, replicationFactor}
  }

  private async brokers(where: Where, given: string | undefined, detected: string | undefined): Promise<string[]> {
    const validate = (text: string) => brokerListProblem(splitBrokers(text)) ?? true
    if (given !== undefined) {
      const problem = brokerListProblem(splitBrokers(given))
      if (problem)
        throw new FaError(`--brokers: ${problem}`, {hint: 'e.g. --brokers 127.0.0.1:9092 or --brokers k1:9092,k2:9092'})
      return splitBrokers(given)
    }
    const p = this.prompts
    if (where === 'local') {
      const fallback = detected ?? '127.0.0.1:9092'
      return splitBrokers(p ? await p.input({message: 'Local broker address', default: fallback, validate}) : fallback)
    }
    if (!p) {
      throw new FaError(`--brokers is required with --kafka ${where}`, {
        hint:
          where === 'confluent'
            ? "the cluster's bootstrap server, e.g. pkc-abc12.us-east-1.aws.confluent.cloud:9092"
            : 'e.g. --brokers k1:9092,k2:9092',
      })
    }
    const message =
      where === 'confluent'
        ? 'Bootstrap server (Cluster settings → Endpoints, e.g. pkc-abc12.us-east-1.aws.confluent.cloud:9092)'
        : 'Bootstrap servers (host:port, comma-separated)'
    return splitBrokers(await p.input({message, validate}))
  }

  private async envNames(
    f: {'username-env'?: string; 'password-env'?: string},
    userDefault: string,
    passDefault: string,
    userLabel: string,
    passLabel: string,
  ): Promise<{usernameEnv: string; passwordEnv: string}> {
    const p = this.prompts
    const validate = (v: string) =>
      ENV_NAME.test(v.trim()) || 'an environment variable name (letters, digits, _), not the value itself'
    const pick = async (given: string | undefined, fallback: string, label: string, flag: string) => {
      if (given !== undefined) {
        if (!ENV_NAME.test(given))
          throw new FaError(
            `--${flag} ${given.length > 40 ? given.slice(0, 4) + '…' : given}: must be an environment variable name`,
            {hint: 'the file names the variable; export the value in your shell'},
          )
        return given
      }
      return p
        ? (await p.input({message: `Environment variable holding the ${label}`, default: fallback, validate})).trim()
        : fallback
    }
    return {
      usernameEnv: await pick(f['username-env'], userDefault, userLabel, 'username-env'),
      passwordEnv: await pick(f['password-env'], passDefault, passLabel, 'password-env'),
    }
  }

  private async topics(prefixFlag: string | undefined, entries: string[] | undefined): Promise<InitSettings['topics']> {
    const p = this.prompts
    const overrides = parseTopicFlags(entries)
    const validPrefix = (v: string) =>
      v === '' || /^[a-zA-Z0-9._-]+$/.test(v) || 'letters, digits, ".", "_" and "-" only'
    if (prefixFlag !== undefined && validPrefix(prefixFlag) !== true)
      throw new FaError(`--topic-prefix ${prefixFlag}: letters, digits, ".", "_" and "-" only`)
    const prefix =
      prefixFlag ??
      (p
        ? (
            await p.input({
              message: 'Topic name prefix (empty for none, e.g. staging.)',
              default: '',
              validate: (v) => validPrefix(v.trim()),
            })
          ).trim()
        : '')
    const topics = {...prefixedTopics(prefix), ...overrides}
    if (!p) return topics

    const open = (Object.keys(defaultTopics) as Array<keyof typeof defaultTopics>).filter(
      (key) => overrides[key] === undefined,
    )
    if (open.length === 0) return topics
    const width = Math.max(...open.map((key) => TOPIC_LABELS[key].length))
    const listing = open.map((key) => `  ${TOPIC_LABELS[key].padEnd(width)}  ${topics[key]}`).join('\n')
    if (await p.confirm({message: `Topic names:\n${listing}\nUse these?`, default: true})) return topics
    for (const key of open) {
      topics[key] = (
        await p.input({
          message: `Topic for ${TOPIC_LABELS[key]}`,
          default: topics[key],
          validate: (v) => TOPIC_NAME.test(v.trim()) || 'letters, digits, ".", "_" and "-", at most 249 characters',
        })
      ).trim()
    }
    return topics
  }

  private async createTopics(loaded: Awaited<ReturnType<typeof loadConfig>>): Promise<void> {
    const [{buildTopology}, {connectAdmin, createKafka, disconnectQuietly}, {ensureTopics}, {createLogger}] =
      await Promise.all([
        import('../lib/alerts/topology.js'),
        import('../lib/kafka/client.js'),
        import('../lib/kafka/topics.js'),
        import('../lib/output/log.js'),
      ])
    const {config} = loaded
    const topology = await buildTopology(loaded)
    const kafka = await createKafka(config, {
      log: createLogger({level: this.verbose ? 'debug' : 'error'}),
      clientIdSuffix: 'init',
    })
    const admin = await connectAdmin(kafka, config)
    try {
      const result = await ensureTopics(
        admin,
        {topology, config},
        {partitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor},
      )
      const c = colorFor(process.stdout)
      this.log(
        `${c.green('✓')} topics: ${result.created.length} created${result.created.length ? ` (${result.created.map((t) => t.topic).join(', ')})` : ''}, ${result.existing.length} already existed`,
      )
      for (const warning of result.warnings) this.warn(warning)
    } finally {
      await disconnectQuietly(admin)
    }
  }
}

function parseTopicFlags(entries: string[] | undefined): Partial<InitSettings['topics']> {
  const out: Partial<InitSettings['topics']> = {}
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=')
    const key = entry.slice(0, eq).trim()
    const name = entry.slice(eq + 1).trim()
    if (eq < 0 || !(key in defaultTopics)) {
      throw new FaError(
        `--topic ${entry}: expected NAME=TOPIC with NAME one of ${Object.keys(defaultTopics).join(', ')}`,
      )
    }
    if (!TOPIC_NAME.test(name)) throw new FaError(`--topic ${entry}: "${name}" is not a legal Kafka topic name`)
    out[key as keyof typeof defaultTopics] = name
  }
  return out
}

/** The address `npm run kafka:up` wrote (FA_KAFKA_DIR, ./.kafka, or fa's own .kafka), if any. */
export function detectLocalBroker(
  packageRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): {brokers: string; file: string} | undefined {
  const dirs = [env.FA_KAFKA_DIR, path.resolve('.kafka'), path.join(packageRoot, '.kafka')].filter((d): d is string =>
    Boolean(d),
  )
  for (const dir of dirs) {
    const file = path.join(dir, 'bootstrap')
    if (!existsSync(file)) continue
    const brokers = readFileSync(file, 'utf8').trim()
    if (brokers && !brokerListProblem(splitBrokers(brokers)))
      return {brokers, file: path.relative(process.cwd(), file) || file}
  }
  return undefined
}

/** Ctrl-C in a prompt: a one-line "cancelled" instead of a stack trace. */
function cancelled(error: unknown, message: string): unknown {
  return (error as Error)?.name === 'ExitPromptError' ? new FaError(message) : error
}
