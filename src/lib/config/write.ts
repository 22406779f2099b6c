import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Document, parse as parseYaml} from 'yaml'

import {FaError} from '../errors.js'
import {configSchema, defaultTopics, inPortRange, IPV6_BROKER, isIpv6Broker} from './schema.js'

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

/** What `fa init` asks for; everything else keeps the schema's defaults. */
export interface InitSettings {
  brokers: string[]
  ssl: boolean
  sasl?: {mechanism: SaslMechanism; usernameEnv: string; passwordEnv: string}
  /** Logical topic name → real name, for every key of defaultTopics. */
  topics: Record<keyof typeof defaultTopics, string>
  group: string
  /** `fa send`'s consumer group (slack.group), when not the default (a topic prefix names it too). */
  sendGroup?: string
  /** Of topics fa creates (`fa topics create`, `fa init`). */
  partitions?: number
  replicationFactor?: number
  /** For Avro, Protobuf and JSON Schema topics; the credentials by environment variable name. */
  schemaRegistry?: {url: string; usernameEnv?: string; passwordEnv?: string}
}

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
export const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/
export const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/

/** Why a broker list is not `host:port[,host:port...]`, or undefined when it is. */
export function brokerListProblem(brokers: string[]): string | undefined {
  if (brokers.length === 0) return 'give at least one host:port'
  for (const broker of brokers) {
    const match = BROKER.exec(broker)
    if (!match) return `"${broker}" is not host:port`
    const port = Number(match[3])
    if (!inPortRange(port)) return `"${broker}": port must be 1-65535`
    if (isIpv6Broker(broker)) return `"${broker}" ${IPV6_BROKER}`
  }
  return undefined
}

export function splitBrokers(text: string): string[] {
  return text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)
}

// Environment variables whose values must never end up in a config file.
const SECRET_ENVS = [
  'KAFKA_API_KEY',
  'KAFKA_API_SECRET',
  'KAFKA_USERNAME',
  'KAFKA_PASSWORD',
  'SLACK_BOT_TOKEN',
  'SCHEMA_REGISTRY_API_KEY',
  'SCHEMA_REGISTRY_API_SECRET',
]

/**
 * The config file's text for the settings: YAML with a header comment. It is checked twice
 * before anyone writes it: it must parse with the config schema, and it must not contain the
 * value of any credential environment variable (only their names belong in the file).
 */
export function renderConfig(settings: InitSettings, env: NodeJS.ProcessEnv = process.env, now = new Date()): string {
  const kafka: Record<string, unknown> = {brokers: settings.brokers, ssl: settings.ssl}
  if (settings.sasl) kafka.sasl = {...settings.sasl}
  if (settings.partitions !== undefined) kafka.partitions = settings.partitions
  if (settings.replicationFactor !== undefined) kafka.replicationFactor = settings.replicationFactor
  const doc = new Document({
    kafka,
    topics: {...settings.topics},
    enrich: {group: settings.group},
    ...(settings.sendGroup ? {slack: {group: settings.sendGroup}} : {}),
    ...(settings.schemaRegistry && {schemaRegistry: {...settings.schemaRegistry}}),
  })
  doc.commentBefore = [
    ` fa configuration, written by \`fa init\` on ${now.toISOString().slice(0, 10)}.`,
    ' Secrets are never stored here: kafka.sasl names the environment variables that hold them.',
    ' KAFKA_BROKERS, if set, overrides kafka.brokers. See README "Configuration" for every key.',
  ].join('\n')
  const text = doc.toString({lineWidth: 0})

  const parsed = configSchema.safeParse(parseYaml(text))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new FaError(`the answers make an invalid config: "${issue.path.join('.')}": ${issue.message}`)
  }
  const names = new Set(
    [
      ...SECRET_ENVS,
      settings.sasl?.usernameEnv,
      settings.sasl?.passwordEnv,
      settings.schemaRegistry?.usernameEnv,
      settings.schemaRegistry?.passwordEnv,
    ].filter((n): n is string => Boolean(n)),
  )
  for (const name of names) {
    const value = env[name]
    if (value && value.length >= 8 && text.includes(value)) {
      throw new FaError(`refusing to write the config: it would contain the value of $${name}`, {
        hint: 'answers take environment variable names (e.g. KAFKA_API_SECRET), never the key or secret itself',
      })
    }
  }
  return text
}

/** Default settings: the local broker, default topic names, the default consumer group. */
export function defaultSettings(brokers: string[]): InitSettings {
  return {brokers, ssl: false, topics: {...defaultTopics}, group: 'fa-enrich'}
}

export function prefixedTopics(prefix: string): InitSettings['topics'] {
  return Object.fromEntries(
    Object.entries(defaultTopics).map(([key, name]) => [key, `${prefix}${name}`]),
  ) as InitSettings['topics']
}

/**
 * Writes the config file: without `force`, an existing file is an error (and `wx` closes the
 * race with another writer); with `force`, the old file is replaced atomically.
 */
export async function writeConfigFile(file: string, text: string, options: {force?: boolean} = {}): Promise<void> {
  if (!options.force) {
    try {
      await writeFile(file, text, {flag: 'wx', mode: 0o644})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(file)
      throw new FaError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
    return
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(tmp, text, {mode: 0o644})
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, {force: true})
    throw new FaError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

export function existsError(file: string): FaError {
  return new FaError(`${file} already exists`, {
    hint: 'run `fa init --force` to replace it, or --output to write another file',
  })
}

export function assertWritable(file: string, force: boolean): void {
  if (!force && existsSync(file)) throw existsError(file)
}
