import type {Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {disconnectQuietly, loadKafkaJs, withTimeout} from './client.js'
import {kafkaClientConfig, kafkaError} from './connection.js'

export interface ClusterInfo {
  clusterId: string
  brokers: number
  controller: number | null
}

/**
 * A client for checks that must answer quickly: a short connection timeout, two retries, and
 * no kafkajs log lines (the check reports the outcome itself).
 */
export async function quickKafka(config: Config, env?: NodeJS.ProcessEnv): Promise<Kafka> {
  const {Kafka, logLevel} = await loadKafkaJs()
  return new Kafka({
    ...kafkaClientConfig(config, env, 'check'),
    connectionTimeout: Math.min(config.kafka.connectionTimeoutMs, 5_000),
    retry: {retries: 2, initialRetryTime: 300, maxRetryTime: 2_000},
    logLevel: logLevel.NOTHING,
  })
}

/**
 * Connects to the configured cluster and asks for its description (kafkajs admin
 * describeCluster), failing within `timeoutMs` (kafka.connectionTimeoutMs, as every command)
 * rather than after kafkajs' long retries. Credentials come from the environment, as for every
 * command; missing ones are an error.
 */
export async function checkConnection(
  config: Config,
  options: {timeoutMs?: number; env?: NodeJS.ProcessEnv} = {},
): Promise<ClusterInfo> {
  const timeoutMs = options.timeoutMs ?? config.kafka.connectionTimeoutMs
  const kafka = await quickKafka(config, options.env)
  const admin = kafka.admin()
  try {
    const attempt = admin.connect().then(() => admin.describeCluster())
    attempt.catch(() => {}) // a late failure after the timeout is not an unhandled rejection
    const described = await withTimeout(attempt, timeoutMs)
    if (!described) {
      throw new FaError(
        `Kafka: no answer from ${config.kafka.brokers.join(',')} within ${Math.round(timeoutMs / 1000)} s`,
        {
          exit: 'kafka',
          hint:
            'check the broker addresses, TLS (kafka.ssl) and that this machine can reach them; ' +
            'kafka.connectionTimeoutMs sets the wait',
        },
      )
    }
    return {clusterId: described.clusterId, brokers: described.brokers.length, controller: described.controller}
  } catch (error) {
    throw error instanceof FaError ? error : kafkaError(error, config, 'connecting')
  } finally {
    // A client still waiting on a silent broker: do not add kafkajs' own disconnect wait to the timeout.
    await disconnectQuietly(admin, 1_000)
  }
}
