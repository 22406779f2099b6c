// `fa init` end to end without a terminal or a broker: scripted answers, the file it writes,
// what it prints, and the connection check and topic creation after writing (as fakes here;
// the real ones run against the broker in test/kafka/init.test.ts).
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import type {LoadedConfig} from '../../../src/lib/config/load.js'
import type {Config} from '../../../src/lib/config/schema.js'
import {FaError} from '../../../src/lib/errors.js'
import type {FollowUpSteps} from '../../../src/lib/init/follow-up.js'
import {runInit, type InitOptions} from '../../../src/lib/init/run.js'
import {CTRL_C, ENTER, script, type Step} from '../../support/prompts.js'

const SECRET = 'Zx9+verySecretValue/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd'

/** Runs init into a fresh directory; the log, the steps it ran, the file and its shown name. */
async function init(
  options: Omit<Partial<InitOptions>, 'steps'> & {steps?: Partial<FollowUpSteps>} = {},
  existing?: string,
) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-init-')), 'fa.config.yaml')
  if (existing !== undefined) writeFileSync(file, existing)
  const log: string[] = []
  const ran: string[] = []
  const steps: FollowUpSteps = {
    async check(config: Config) {
      ran.push(`check ${config.kafka.brokers.join(',')}`)
      return {clusterId: 'c-1', brokers: 1, controller: 1}
    },
    async createTopics(loaded: LoadedConfig) {
      ran.push(`create ${loaded.config.topics.notifications}`)
    },
    ...options.steps,
  }
  const code = runInit({
    file,
    force: false,
    answers: {},
    out: {
      log: (line) => log.push(line),
      warn: (message) => log.push(`warning: ${message}`),
      color: new Chalk({level: 0}),
    },
    verbose: false,
    env: {},
    ...options,
    steps,
  })
  const read = () => readFileSync(file, 'utf8').replace(/ on \d{4}-\d\d-\d\d\./, ' on DATE.')
  return {code, log, ran, file, read, shown: path.relative(process.cwd(), file)}
}

const next = ['', 'next:']
const topicsCreate = '  fa topics create           # creates missing topics (idempotent)'
const replay = '  fa replay fixtures/provisioning.jsonl --dry-run'

describe('fa init', () => {
  it('another cluster with SASL/SCRAM: writes the names of the credential variables, never their values', async () => {
    const prompt = script([
      [/^Where is Kafka\?/, 'other'],
      [/^Bootstrap servers/, 'k1.internal:9093, k2.internal:9093'],
      [/^Connect with TLS\?/, true],
      [/^SASL authentication/, 'scram-sha-512'],
      [/username$/, 'KAFKA_USER'],
      [/password$/, 'KAFKA_PASS'],
      [/^Replication factor/, '2'],
      [/^Topic name prefix/, 'staging.'],
      [/Use these\?$/, ENTER],
      [/^Consumer group/, 'fa-staging'],
      [/^Schema Registry URL/, ENTER],
    ])
    const run = await init({
      prompt,
      answers: {partitions: 6},
      check: false,
      createTopics: false,
      env: {KAFKA_PASS: SECRET},
    })
    expect(await run.code).toBeUndefined()
    expect(run.read()).toBe(`# fa configuration, written by \`fa init\` on DATE.
# Secrets are never stored here: kafka.sasl names the environment variables that hold them.
# KAFKA_BROKERS, if set, overrides kafka.brokers. See README "Configuration" for every key.

kafka:
  brokers:
    - k1.internal:9093
    - k2.internal:9093
  ssl: true
  sasl:
    mechanism: scram-sha-512
    usernameEnv: KAFKA_USER
    passwordEnv: KAFKA_PASS
  partitions: 6
  replicationFactor: 2
topics:
  notifications: staging.data-notifications-pipeline
  assignments: staging.data-csdr-assignment
  slackUsers: staging.data-slack-users
  onboarding: staging.data-onboarding-events
  clusters: staging.data-cluster-events
  slackMessages: staging.slack-messages
  slackResponses: staging.slack-responses
  deadLetters: staging.fa-dead-letters
  checkpoints: staging.fa-checkpoints
  state: staging.fa-state
enrich:
  group: fa-staging
slack:
  group: staging.fa-send
`)
    expect(run.log).toEqual([
      `✓ wrote ${run.shown}`,
      ...next,
      // KAFKA_PASS is set in this shell: only the one still missing is named.
      '  export KAFKA_USER=…   # the credentials, never in the file',
      topicsCreate,
      replay,
    ])
    expect(run.ran).toEqual([])
  })

  it('local: checks the connection and creates the topics when asked (both yes by default)', async () => {
    const prompt = script([
      [/^Where is Kafka\?/, ENTER],
      [/^Local broker address/, ENTER],
      [/^Topic name prefix/, 'dev.'],
      [/Use these\?$/, ENTER],
      [/^Consumer group/, ENTER],
      [/^Schema Registry URL/, ENTER],
      [/^Check the connection to Kafka now\?$/, ENTER],
      [/^Create the topics on 127\.0\.0\.1:39092 now\?$/, ENTER],
    ])
    const run = await init({prompt, detected: {brokers: '127.0.0.1:39092', file: '.kafka/bootstrap'}})
    expect(await run.code).toBeUndefined()
    expect(run.ran).toEqual(['check 127.0.0.1:39092', 'create dev.data-notifications-pipeline'])
    expect(run.log).toEqual([
      `✓ wrote ${run.shown}`,
      '✓ connected to 127.0.0.1:39092: cluster c-1, 1 broker',
      ...next,
      replay,
    ])
    expect(prompt.left).toEqual([])
  })

  it('Confluent Cloud: skips the check while the credentials are not exported; creates no topics by default', async () => {
    const steps = (env: NodeJS.ProcessEnv): Step[] => [
      [/^Where is Kafka\?/, 'confluent'],
      [/^Bootstrap server/, 'pkc-abc12.us-east-1.aws.confluent.cloud:9092'],
      [/API key$/, ENTER],
      [/API secret$/, ENTER],
      [/^Topic name prefix/, ENTER],
      [/Use these\?$/, ENTER],
      [/^Consumer group/, ENTER],
      [/^Schema Registry URL/, ENTER],
      // Not offered while there are no credentials to check with.
      ...(env.KAFKA_API_SECRET
        ? ([
            [/^Check the connection/, ENTER],
            [/^Create the topics on pkc-abc12\S+ now\?$/, ENTER],
          ] as Step[])
        : []),
    ]
    const without = await init({prompt: script(steps({}))})
    expect(await without.code).toBeUndefined()
    expect(without.ran).toEqual([])
    expect(without.log).toContain(
      '! connection not checked: KAFKA_API_KEY and KAFKA_API_SECRET are not set in this shell (fa reads the Kafka credentials from them when it runs); export them, then `fa topics create` connects and creates the topics',
    )
    // Asked for with --check: a failure naming them.
    const checked = await init({
      answers: {kafka: 'confluent', brokers: 'pkc-abc12.us-east-1.aws.confluent.cloud:9092'},
      check: true,
    })
    expect(await checked.code).toBe(5)
    expect(checked.ran).toEqual([])
    expect(checked.log).toContain(
      '✗ cannot check the connection: KAFKA_API_KEY and KAFKA_API_SECRET are not set in this shell (the file holds only their names: export them, then run `fa topics create`)',
    )
    expect(without.log).toContain('  export KAFKA_API_KEY=… KAFKA_API_SECRET=…   # the credentials, never in the file')

    const env = {KAFKA_API_KEY: 'ABCDEFGH12345678', KAFKA_API_SECRET: SECRET}
    const prompt = script(steps(env))
    const exported = await init({prompt, env})
    expect(await exported.code).toBeUndefined()
    expect(exported.ran).toEqual(['check pkc-abc12.us-east-1.aws.confluent.cloud:9092'])
    expect(exported.log).toContain(topicsCreate)
    expect(exported.log.filter((line) => line.includes('export '))).toEqual([])
    expect(exported.read()).not.toContain(SECRET)
    expect(prompt.left).toEqual([])
  })

  it('warns of SASL without TLS to a cluster that is not on this machine', async () => {
    const answers = {kafka: 'other', brokers: 'k1.internal:9092', sasl: 'plain', tls: false} as const
    const remote = await init({answers, check: false, createTopics: false})
    expect(await remote.code).toBeUndefined()
    expect(remote.log).toContain(
      'warning: SASL without TLS to k1.internal:9092: the traffic, the password included, crosses the network unencrypted; use TLS (--tls) unless that network is trusted',
    )
    const withTls = await init({answers: {...answers, tls: true}, check: false, createTopics: false})
    await withTls.code
    expect(withTls.log.filter((l) => l.startsWith('warning:'))).toEqual([])
    const local = await init({answers: {...answers, brokers: '127.0.0.1:9092'}, check: false, createTopics: false})
    await local.code
    expect(local.log.filter((l) => l.startsWith('warning:'))).toEqual([])
  })

  it('refuses to write a credential pasted as an answer', async () => {
    const run = await init({answers: {group: 'leaked-secret-value'}, env: {KAFKA_API_SECRET: 'leaked-secret-value'}})
    await expect(run.code).rejects.toThrow(
      /^refusing to write the config: it would contain the value of \$KAFKA_API_SECRET$/,
    )
    expect(existsSync(run.file)).toBe(false)
  })

  it('a failed check: explained once, the file kept, no topics created, the exit code of Kafka', async () => {
    const run = await init({
      answers: {kafka: 'local', brokers: '127.0.0.1:1'},
      steps: {
        check: () => Promise.reject(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1')),
      },
    })
    expect(await run.code).toBe(5)
    expect(run.log[1]).toBe(
      '✗ Kafka: connecting failed (127.0.0.1:1): Connection error: connect ECONNREFUSED 127.0.0.1:1' +
        ' (check kafka.brokers / KAFKA_BROKERS and credentials; `npm run kafka:up` starts a local broker)',
    )
    expect(run.log.slice(2)).toEqual([
      ...next,
      '  fa init --force ...        # to change the answers',
      topicsCreate,
      replay,
    ])
    expect(run.ran).toEqual([])
    expect(existsSync(run.file)).toBe(true)
  })

  it('with --yes: the local defaults, checked and created; KAFKA_BROKERS named when it overrides the file', async () => {
    const run = await init({env: {KAFKA_BROKERS: '127.0.0.1:46000'}})
    expect(await run.code).toBeUndefined()
    expect(run.log.slice(0, 3)).toEqual([
      `✓ wrote ${run.shown}`,
      'note: KAFKA_BROKERS is set, so fa uses 127.0.0.1:46000 instead of kafka.brokers',
      '✓ connected to 127.0.0.1:46000: cluster c-1, 1 broker',
    ])
    expect(run.ran).toEqual(['check 127.0.0.1:46000', 'create data-notifications-pipeline'])
    expect(run.read()).toContain('    - 127.0.0.1:9092\n')
  })

  it('refuses an existing file without --force before asking anything; replaces it with --force', async () => {
    const prompt = script([])
    const refused = await init({prompt}, '# mine\n')
    await expect(refused.code).rejects.toThrow(FaError)
    await expect(refused.code).rejects.toMatchObject({
      message: `${refused.file} already exists`,
      hint: 'run `fa init --force` to replace it, or --output to write another file',
    })
    expect(prompt.asked).toEqual([])
    expect(readFileSync(refused.file, 'utf8')).toBe('# mine\n')

    const forced = await init({force: true, check: false}, '# mine\n')
    expect(await forced.code).toBeUndefined()
    expect(forced.read()).toContain('group: fa-enrich')
  })

  it('Ctrl-C: at a question writes nothing; after writing, says the file was written', async () => {
    const first = await init({prompt: script([[/^Where is Kafka\?/, CTRL_C]])})
    await expect(first.code).rejects.toThrow(FaError)
    await expect(first.code).rejects.toThrow(/^init cancelled: nothing was written$/)
    expect(existsSync(first.file)).toBe(false)

    const later = await init({
      prompt: script([
        [/Use these\?$/, ENTER],
        [/^Check the connection/, CTRL_C],
      ]),
      answers: {
        kafka: 'local',
        brokers: '127.0.0.1:9092',
        'topic-prefix': '',
        topic: [],
        group: 'g',
        'schema-registry': '',
      },
    })
    await expect(later.code).rejects.toMatchObject({name: 'FaError', message: `stopped; ${later.shown} was written`})
    expect(existsSync(later.file)).toBe(true)
  })
})
