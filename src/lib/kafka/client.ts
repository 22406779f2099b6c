import type {Admin, Kafka, LogEntry, Producer, ProducerConfig, RetryOptions} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {silentLogger, type Logger} from '../output/log.js'
import {FaError} from '../errors.js'
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

/** The last connection error kafkajs logged for a client, for the one line that says why it could not connect. */
const lastConnectionError = new WeakMap<Kafka, {message?: string}>()

/**
 * A kafkajs client for the config (brokers, TLS, SASL from the environment), logging through
 * `log`: kafkajs errors and warnings as warnings, except its connection retries (a broker that is
 * down is reported once, by whoever connects), which go to debug with its info lines.
 * Credentials are never logged: kafkajs does not log them, and neither do we.
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
  const trouble: {message?: string} = {}
  const kafka = new Kafka({
    ...base,
    retry: options.retry ?? base.retry,
    logLevel: level,
    logCreator: () => (entry: LogEntry) => {
      const {message, timestamp: _t, logger: _l, stack, ...extra} = entry.log
      const fields = {namespace: entry.namespace, ...extra, ...(log.isEnabled('debug') && stack ? {stack} : {})}
      const retrying = isConnectionRetry(entry.namespace, message)
      if (retrying && entry.namespace === 'Connection') trouble.message = message
      if (entry.level <= logLevel.WARN && !retrying && !isRoutine(message, extra)) log.warn(message, fields)
      else log.debug(message, fields)
    },
  })
  lastConnectionError.set(kafka, trouble)
  return kafka
}

/** kafkajs' lines for each failed connection attempt and its retry (`Connection error: …`, `Failed to connect to seed broker…`). */
function isConnectionRetry(namespace: string, message: string): boolean {
  return (
    (namespace === 'Connection' && /^Connection (error|timeout)/.test(message)) ||
    (namespace === 'BrokerPool' && message.startsWith('Failed to connect to seed broker'))
  )
}

/**
 * kafkajs warnings that describe a normal, retried or handled situation, not trouble: fa bounds the retries
 * of its idempotent producer on purpose (a transaction that fails is aborted and redone), and a
 * coordinator still finishing the previous transaction or a group rebalancing answer once and
 * succeed on the retry. Logged at debug level instead.
 */
function isRoutine(message: string, extra: Record<string, unknown>): boolean {
  if (message.startsWith('Limiting retries for the idempotent producer')) return true
  // fa asks to create topics that may exist (enrich's repartition topics at every start, `fa topics
  // create`) and says itself what the broker refused: kafkajs' line for that answer is not news.
  if (message.startsWith('Response CreateTopics') && extra.error === 'Topic creation errors') return true
  return /concurrent operation on the same transaction|group is rebalancing/.test(
    `${message} ${String(extra.error ?? '')}`,
  )
}

/**
 * Connects an admin client within kafka.connectionTimeoutMs (kafkajs retries inside that time),
 * or throws a one-line FaError (exit code 5) naming the brokers and the last connection error.
 * An abort of `signal` (SIGINT/SIGTERM) gives up at once, throwing `signal.reason`.
 */
export async function connectAdmin(kafka: Kafka, config: Config, signal?: AbortSignal): Promise<Admin> {
  const admin = kafka.admin()
  await connectWithin(kafka, admin, config, signal)
  return admin
}

/** Connects `client` of `kafka` within kafka.connectionTimeoutMs (see connectAdmin). */
export async function connectWithin(
  kafka: Kafka,
  client: {connect(): Promise<void>; disconnect(): Promise<void>},
  config: Config,
  signal?: AbortSignal,
): Promise<void> {
  const ms = config.kafka.connectionTimeoutMs
  let timer: NodeJS.Timeout | undefined
  let onAbort = () => {}
  const outcome = await new Promise<{error?: unknown; late?: true; aborted?: true}>((resolve) => {
    client.connect().then(
      () => resolve({}),
      (error: unknown) => resolve({error}),
    )
    timer = setTimeout(() => resolve({late: true}), ms)
    onAbort = () => resolve({aborted: true})
    if (signal?.aborted) onAbort()
    signal?.addEventListener('abort', onAbort, {once: true})
  })
  clearTimeout(timer)
  signal?.removeEventListener('abort', onAbort)
  if (!outcome.late && !outcome.aborted && outcome.error === undefined) return
  // Stops kafkajs' retries (their timers would keep a finished command alive).
  void client.disconnect().catch(() => {})
  if (outcome.aborted) throw signal!.reason
  if (outcome.error !== undefined) throw kafkaError(outcome.error, config, 'connecting')
  const last = lastConnectionError.get(kafka)?.message
  throw new FaError(
    `Kafka: cannot connect to ${config.kafka.brokers.join(',')} within ${ms / 1000} s${last ? ` (${last})` : ''}`,
    {
      exit: 'kafka',
      hint:
        'check kafka.brokers / KAFKA_BROKERS, TLS and credentials, and that this machine can reach ' +
        'them; kafka.connectionTimeoutMs sets the wait',
    },
  )
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
