import type {KafkaConfig, SASLOptions} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'

/**
 * kafkajs settings from the config and environment. Credentials are read from the environment
 * variables the config names (Confluent Cloud: KAFKA_API_KEY / KAFKA_API_SECRET) and never printed.
 */
export function kafkaClientConfig(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
  clientIdSuffix?: string,
): KafkaConfig {
  const {kafka} = config
  return {
    clientId: clientIdSuffix ? `${kafka.clientId}-${clientIdSuffix}` : kafka.clientId,
    brokers: kafka.brokers,
    ssl: kafka.ssl,
    sasl: kafka.sasl ? sasl(kafka.sasl, env) : undefined,
    connectionTimeout: kafka.connectionTimeoutMs,
    retry: {retries: 8, initialRetryTime: 300, maxRetryTime: 10_000},
  }
}

function sasl(options: NonNullable<Config['kafka']['sasl']>, env: NodeJS.ProcessEnv): SASLOptions {
  const username = env[options.usernameEnv]
  const password = env[options.passwordEnv]
  if (!username || !password) {
    const missing = [!username && options.usernameEnv, !password && options.passwordEnv].filter(Boolean).join(' and ')
    throw new FaError(`Kafka SASL (${options.mechanism}) needs ${missing} set in the environment`, {
      hint: 'export the API key and secret, or remove kafka.sasl from the config for an unauthenticated cluster',
    })
  }
  return {mechanism: options.mechanism, username, password} as SASLOptions
}

/** True when every broker is on this machine, where producing needs no confirmation. */
export function isLocalCluster(config: Config): boolean {
  return config.kafka.brokers.every((broker) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(broker))
}

/** One line for a kafkajs error, with the broker list (never credentials). */
export function kafkaError(error: unknown, config: Config, doing: string): FaError {
  const message = error instanceof Error ? error.message : String(error)
  return new FaError(`Kafka: ${doing} failed (${config.kafka.brokers.join(',')}): ${message}`, {
    exit: 'kafka',
    hint: 'check kafka.brokers / KAFKA_BROKERS and credentials; `npm run kafka:up` starts a local broker',
    cause: error,
  })
}
