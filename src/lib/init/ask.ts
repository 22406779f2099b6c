import {brokerListProblem, ENV_NAME, splitBrokers, type InitSettings, type SaslMechanism} from '../config/write.js'
import {FaError} from '../errors.js'
import type {Prompter} from './prompt.js'
import {askRegistry, type RegistryAnswers} from './registry.js'
import {askTopics} from './topics.js'

export type Where = 'local' | 'confluent' | 'other'
export type SaslChoice = 'none' | SaslMechanism

/** The answers flags can give; a question is asked only for what they leave open. */
export interface InitAnswers extends RegistryAnswers {
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

interface Asking {
  /** Absent with --yes: what flags leave open takes its default. */
  prompt?: Prompter
  /** The local broker `npm run kafka:up` started, offered as the local default. */
  detected?: {brokers: string; file: string}
}

/** Flags first; a question only for what they leave open (or its default with --yes). */
export async function askSettings(f: InitAnswers, {prompt: p, detected}: Asking): Promise<InitSettings> {
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
    throw new FaError('--username-env and --password-env do not apply with --kafka local (a local broker has no SASL)')
  }

  const brokers = await askBrokers(where, f.brokers, detected?.brokers, p)
  let ssl = false
  let sasl: InitSettings['sasl']
  if (where === 'confluent') {
    ssl = true
    sasl = {
      mechanism: 'plain',
      ...(await askEnvNames(f, 'KAFKA_API_KEY', 'KAFKA_API_SECRET', 'API key', 'API secret', p)),
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
      sasl = {mechanism, ...(await askEnvNames(f, 'KAFKA_USERNAME', 'KAFKA_PASSWORD', 'username', 'password', p))}
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

  const {prefix, topics} = await askTopics(f['topic-prefix'], f.topic, p)
  // A prefix keeps a namespace apart: its consumer groups too, or staging would read as production's group.
  const group =
    f.group ??
    (p
      ? (
          await p.input({
            message: 'Consumer group of `fa enrich`',
            default: `${prefix}fa-enrich`,
            validate: (v) => v.trim() !== '' || 'required',
          })
        ).trim()
      : `${prefix}fa-enrich`)
  const sendGroup = prefix ? {sendGroup: `${prefix}fa-send`} : {}

  const schemaRegistry = await askRegistry(f, where, p)
  return {
    brokers,
    ssl,
    sasl,
    topics,
    group,
    ...sendGroup,
    partitions,
    replicationFactor,
    ...(schemaRegistry && {schemaRegistry}),
  }
}

async function askBrokers(
  where: Where,
  given: string | undefined,
  detected: string | undefined,
  p: Prompter | undefined,
): Promise<string[]> {
  const validate = (text: string) => brokerListProblem(splitBrokers(text)) ?? true
  if (given !== undefined) {
    const problem = brokerListProblem(splitBrokers(given))
    if (problem)
      throw new FaError(`--brokers: ${problem}`, {hint: 'e.g. --brokers 127.0.0.1:9092 or --brokers k1:9092,k2:9092'})
    return splitBrokers(given)
  }
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

async function askEnvNames(
  f: {'username-env'?: string; 'password-env'?: string},
  userDefault: string,
  passDefault: string,
  userLabel: string,
  passLabel: string,
  p: Prompter | undefined,
): Promise<{usernameEnv: string; passwordEnv: string}> {
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
