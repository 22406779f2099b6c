import type {ChalkInstance} from 'chalk'

import type {LoadedConfig} from '../config/load.js'
import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {ClusterInfo} from '../kafka/check.js'
import {isLocalCluster, kafkaError} from '../kafka/connection.js'
import {cancelled, type Prompter} from './prompt.js'

/** Where `fa init` reports: the command's log and warn, and the colours of its stdout. */
export interface InitOutput {
  log(line: string): void
  warn(message: string): void
  color: ChalkInstance
}

/** The steps after writing, which talk to the cluster. */
export interface FollowUpSteps {
  check(config: Config, env: NodeJS.ProcessEnv): Promise<ClusterInfo>
  createTopics(loaded: LoadedConfig, out: InitOutput, verbose: boolean): Promise<void>
}

export interface FollowUp {
  loaded: LoadedConfig
  /** --check / --create-topics; undefined: ask, or with --yes decide. */
  check?: boolean
  createTopics?: boolean
  prompt?: Prompter
  out: InitOutput
  env: NodeJS.ProcessEnv
  verbose: boolean
  /** The written file, as shown to the user. */
  shown: string
}

/**
 * Checks the connection, then creates the topics, each as the flags say, else as answered or
 * (with --yes) by default: creating by default only on a local broker. What failed is printed
 * here and returned; `created` says whether the topics were created, `missingCredentials` which
 * credential variables are not set in this shell.
 */
export async function followUp(
  {loaded, check: checkFlag, createTopics: createFlag, prompt: p, out, env, verbose, shown}: FollowUp,
  steps: FollowUpSteps = realSteps,
): Promise<{failure?: FaError; created: boolean; missingCredentials: string[]}> {
  const {config} = loaded
  const c = out.color
  const local = isLocalCluster(config)
  // Credentials are usually exported later: without them there is nothing to check with, so say so
  // instead of offering a check (one asked for with --check fails, naming them).
  const sasl = config.kafka.sasl
  const missingCredentials = sasl ? [sasl.usernameEnv, sasl.passwordEnv].filter((name) => !env[name]) : []
  const unset =
    missingCredentials.length > 0
      ? `${missingCredentials.join(' and ')} ${missingCredentials.length > 1 ? 'are' : 'is'} not set in this shell`
      : undefined
  let failure: FaError | undefined
  let skipped = false
  let created = false
  try {
    let check = checkFlag
    if (unset && checkFlag === undefined) {
      out.log(
        `${c.yellow('!')} connection not checked: ${unset} (fa reads the Kafka credentials from them when it runs); export them, then \`fa topics create\` connects and creates the topics`,
      )
      check = false
      skipped = true
    } else if (unset && checkFlag) {
      failure = new FaError(`cannot check the connection: ${unset}`, {
        exit: 'kafka',
        hint: 'the file holds only their names: export them, then run `fa topics create`',
      })
      check = false
    }
    check ??= p ? await p.confirm({message: 'Check the connection to Kafka now?', default: true}) : true
    if (check) {
      try {
        const info = await steps.check(config, env)
        out.log(
          `${c.green('✓')} connected to ${config.kafka.brokers.join(',')}: cluster ${info.clusterId}, ` +
            `${info.brokers} broker${info.brokers === 1 ? '' : 's'}`,
        )
      } catch (error) {
        failure = error instanceof FaError ? error : kafkaError(error, config, 'connecting')
      }
    }
    const create =
      !failure &&
      !skipped &&
      (createFlag ??
        (p
          ? await p.confirm({message: `Create the topics on ${config.kafka.brokers.join(',')} now?`, default: local})
          : local))
    if (create) {
      try {
        await steps.createTopics(loaded, out, verbose)
        created = true
      } catch (error) {
        failure = error instanceof FaError ? error : kafkaError(error, config, 'creating topics')
      }
    }
  } catch (error) {
    throw cancelled(error, `stopped; ${shown} was written`)
  }
  if (failure) out.log(`${c.red('✗')} ${failure.message}${failure.hint ? c.dim(` (${failure.hint})`) : ''}`)
  return {failure, created, missingCredentials}
}

const realSteps: FollowUpSteps = {
  async check(config, env) {
    const {checkConnection} = await import('../kafka/check.js')
    return checkConnection(config, {env})
  },
  createTopics,
}

/** Creates the topics the config's topology reads and writes (what `fa topics create` does). */
async function createTopics(loaded: LoadedConfig, out: InitOutput, verbose: boolean): Promise<void> {
  const [{buildTopology}, {connectAdmin, createKafka, disconnectQuietly}, {ensureTopics}, {createLogger}] =
    await Promise.all([
      import('../alerts/topology.js'),
      import('../kafka/client.js'),
      import('../kafka/topics.js'),
      import('../output/log.js'),
    ])
  const {config} = loaded
  const topology = await buildTopology(loaded)
  const kafka = await createKafka(config, {
    log: createLogger({level: verbose ? 'debug' : 'error'}),
    clientIdSuffix: 'init',
  })
  const admin = await connectAdmin(kafka, config)
  try {
    const result = await ensureTopics(
      admin,
      {topology, config},
      {partitions: config.kafka.partitions, replicationFactor: config.kafka.replicationFactor},
    )
    const c = out.color
    out.log(
      `${c.green('✓')} topics: ${result.created.length} created${result.created.length ? ` (${result.created.map((t) => t.topic).join(', ')})` : ''}, ${result.existing.length} already existed`,
    )
    for (const warning of result.warnings) out.warn(warning)
  } finally {
    await disconnectQuietly(admin)
  }
}
