import path from 'node:path'

import {loadConfig} from '../config/load.js'
import {isLocalCluster} from '../kafka/connection.js'
import {assertWritable, renderConfig, writeConfigFile, type InitSettings} from '../config/write.js'
import {askSettings, type InitAnswers} from './ask.js'
import {followUp, type FollowUpSteps, type InitOutput} from './follow-up.js'
import {cancelled, type Prompter} from './prompt.js'

export interface InitOptions {
  /** The config file to write, absolute. */
  file: string
  force: boolean
  answers: InitAnswers
  /** --check / --create-topics. */
  check?: boolean
  createTopics?: boolean
  /** Absent with --yes: nothing is asked. */
  prompt?: Prompter
  /** What `npm run kafka:up` left (detectLocalBroker): the local default. */
  detected?: {brokers: string; file: string}
  out: InitOutput
  verbose: boolean
  /** For the credentials and KAFKA_BROKERS; default process.env. */
  env?: NodeJS.ProcessEnv
  /** The check and topic creation; default the real ones (tests pass fakes). */
  steps?: FollowUpSteps
}

/**
 * `fa init`: asks, writes the config file (never a secret, an existing file only with force),
 * then checks the connection and creates the topics as asked. Returns the exit code of what
 * failed after writing (already explained), or undefined.
 */
export async function runInit(o: InitOptions): Promise<number | undefined> {
  const env = o.env ?? process.env
  assertWritable(o.file, o.force)
  let settings: InitSettings
  try {
    settings = await askSettings(o.answers, {prompt: o.prompt, detected: o.detected})
  } catch (error) {
    throw cancelled(error, 'init cancelled: nothing was written')
  }
  await writeConfigFile(o.file, renderConfig(settings, env), {force: o.force})
  const c = o.out.color
  const shown = path.relative(process.cwd(), o.file) || o.file
  o.out.log(`${c.green('✓')} wrote ${shown}`)

  // From here on, the same config every other command will use (environment included).
  const loaded = await loadConfig(o.file, env)
  const {config} = loaded
  if (env.KAFKA_BROKERS && config.kafka.brokers.join(',') !== settings.brokers.join(',')) {
    o.out.log(
      c.dim(`note: KAFKA_BROKERS is set, so fa uses ${config.kafka.brokers.join(',')} instead of kafka.brokers`),
    )
  }
  if (config.kafka.sasl && !config.kafka.ssl && !isLocalCluster(config))
    o.out.warn(
      `SASL without TLS to ${config.kafka.brokers.join(',')}: the ` +
        `traffic${config.kafka.sasl.mechanism === 'plain' ? ', the password included,' : ''} ` +
        `crosses the network unencrypted; use TLS (--tls) unless that network is trusted`,
    )
  const {failure, created, missingCredentials} = await followUp(
    {
      loaded,
      check: o.check,
      createTopics: o.createTopics,
      prompt: o.prompt,
      out: o.out,
      env,
      verbose: o.verbose,
      shown,
    },
    o.steps,
  )

  o.out.log('')
  o.out.log(c.bold('next:'))
  if (missingCredentials.length > 0)
    o.out.log(
      `  export ${missingCredentials.map((name) => `${name}=…`).join(' ')}   ${c.dim('# the credentials, never in the file')}`,
    )
  if (failure) o.out.log(`  fa init --force ...        ${c.dim('# to change the answers')}`)
  if (!created) o.out.log(`  fa topics create           ${c.dim('# creates missing topics (idempotent)')}`)
  o.out.log(`  fa replay fixtures/provisioning.jsonl --dry-run`)
  return failure?.exitCode
}
