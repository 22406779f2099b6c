import type {Admin, Kafka, LogEntry, Producer, ProducerConfig, RetryOptions} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {silentLogger, type Logger} from '../output/log.js'
import {kafkaClientConfig, kafkaError} from './connection.js'
import {describePatches, installKafkajsPatches} from './patches/index.js'

/** kafkajs, loaded on first use so that commands without Kafka (and `fa --version`) never pay for it. */
export type KafkaJs = typeof import('kafkajs')

let loaded: Promise<KafkaJs> | undefined

export function loadKafkaJs(): Promise<KafkaJs> {
  if (!loaded) {
    installKafkajsPatches()
    // A CommonJS module: Node detects only some of its exports as named ones, so use the default.
    loaded = import('kafkajs').then((mod) => (mod as {default?: KafkaJs}).default ?? mod)
  }
  return loaded
}

/**
 * A kafkajs client for the config (brokers, TLS, SASL from the environment), logging through
 * `log`: kafkajs errors and warnings (mostly retried connection trouble) as warnings, its info
 * lines as debug. Credentials are never logged: kafkajs does not log them, and neither do we.
 */
export async function createKafka(
  config: Config,
  options: {log?: Logger; clientIdSuffix?: string; env?: NodeJS.ProcessEnv; retry?: RetryOptions} = {},
): Promise<Kafka> {
  const {Kafka, logLevel} = await loadKafkaJs()
  const log = (options.log ?? silentLogger).child({component: 'kafkajs'})
  const level = log.isEnabled('debug') ? logLevel.INFO : logLevel.WARN
  const base = kafkaClientConfig(config, options.env, options.clientIdSuffix)
  log.debug('kafkajs patches', describePatches(installKafkajsPatches()))
  return new Kafka({
    ...base,
    retry: options.retry ?? base.retry,
    logLevel: level,
    logCreator: () => (entry: LogEntry) => {
      const {message, timestamp: _t, logger: _l, stack, ...extra} = entry.log
      const fields = {namespace: entry.namespace, ...extra, ...(log.isEnabled('debug') && stack ? {stack} : {})}
      if (entry.level <= logLevel.WARN && !isRoutine(message, extra)) log.warn(message, fields)
      else log.debug(message, fields)
    },
  })
}

/**
 * kafkajs warnings that describe a normal, retried situation, not trouble: fa bounds the retries
 * of its idempotent producer on purpose (a transaction that fails is aborted and redone), and a
 * coordinator still finishing the previous transaction or a group rebalancing answer once and
 * succeed on the retry. Logged at debug level instead.
 */
function isRoutine(message: string, extra: Record<string, unknown>): boolean {
  if (message.startsWith('Limiting retries for the idempotent producer')) return true
  return /concurrent operation on the same transaction|group is rebalancing/.test(
    `${message} ${String(extra.error ?? '')}`,
  )
}

/** Connects an admin client, or throws a one-line FaError (exit code 5) naming the brokers. */
export async function connectAdmin(kafka: Kafka, config: Config): Promise<Admin> {
  const admin = kafka.admin()
  try {
    await admin.connect()
  } catch (error) {
    throw kafkaError(error, config, 'connecting')
  }
  return admin
}

/**
 * A producer that places keyed records on the partitions the Java client would (murmur2), and
 * never creates topics by accident.
 */
export async function createProducer(
  kafka: Kafka,
  options: Omit<ProducerConfig, 'createPartitioner'> = {},
): Promise<Producer> {
  const {Partitioners} = await loadKafkaJs()
  return kafka.producer({allowAutoTopicCreation: false, ...options, createPartitioner: Partitioners.DefaultPartitioner})
}

/** Resolves with `promise`, or with undefined after `ms` (kafkajs' disconnect can hang). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Disconnects a kafkajs client, giving up after `ms`; never throws. */
export async function disconnectQuietly(
  client: {disconnect(): Promise<void>} | undefined,
  ms = 5_000,
): Promise<boolean> {
  if (!client) return true
  const done = await withTimeout(
    client.disconnect().then(
      () => true,
      () => true,
    ),
    ms,
  )
  return done === true
}
