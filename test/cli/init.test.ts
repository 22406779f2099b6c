// `fa init` through the built CLI without a broker: flags-only runs (no TTY), what the written
// file holds, and the real prompts on a pseudo-terminal.
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../src/lib/config/load.js'
import {runFa} from '../support/cli.js'
import {hasScript, KEY as K, runFaOnTty} from '../support/pty.js'

const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-init-'))
const SECRET = 'Zx9+verySecretValue/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd'
const KEY = 'ABCDEFGH12345678'

/** Loads a written config the way every command does, without this process' KAFKA_* variables. */
const load = (file: string, env: NodeJS.ProcessEnv = {}) => loadConfig(file, env)

describe('fa init --yes (no TTY)', () => {
  it('writes a local-broker config that the config loader accepts', async () => {
    const dir = tmp()
    const {code, stdout, stderr} = await runFa(
      ['init', '--yes', '--kafka', 'local', '--brokers', '127.0.0.1:9092', '--no-check', '--no-create-topics'],
      {cwd: dir},
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('✓ wrote fa.config.yaml')
    const {config, file} = await load(path.join(dir, 'fa.config.yaml'))
    expect(file).toBe(path.join(dir, 'fa.config.yaml'))
    expect(config.kafka).toMatchObject({brokers: ['127.0.0.1:9092'], ssl: false, partitions: 3, replicationFactor: 1})
    expect(config.kafka.sasl).toBeUndefined()
    expect(config.topics.notifications).toBe('data-notifications-pipeline')
    expect(config.enrich.group).toBe('fa-enrich')
  })

  it('Confluent Cloud: SASL_SSL PLAIN with env var names, and no secret in the file even when they are set', async () => {
    const dir = tmp()
    const env = {KAFKA_API_KEY: KEY, KAFKA_API_SECRET: SECRET}
    const bootstrap = 'pkc-abc12.us-east-1.aws.confluent.cloud:9092'
    const {code, stderr} = await runFa(
      ['init', '--yes', '--kafka', 'confluent', '--brokers', bootstrap, '--no-check', '--no-create-topics'],
      {cwd: dir, env},
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const text = readFileSync(path.join(dir, 'fa.config.yaml'), 'utf8')
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain(KEY)
    expect(text).toContain('usernameEnv: KAFKA_API_KEY')
    expect(text).toContain('passwordEnv: KAFKA_API_SECRET')
    const {config} = await load(path.join(dir, 'fa.config.yaml'), env)
    expect(config.kafka).toMatchObject({
      brokers: [bootstrap],
      ssl: true,
      sasl: {mechanism: 'plain', usernameEnv: 'KAFKA_API_KEY', passwordEnv: 'KAFKA_API_SECRET'},
      replicationFactor: 3,
    })
  })

  it('Confluent Cloud without credentials in the environment: writes the file and skips the connection check', async () => {
    const dir = tmp()
    const {code, stdout} = await runFa(
      ['init', '--yes', '--kafka', 'confluent', '--brokers', 'pkc-abc12.us-east-1.aws.confluent.cloud:9092'],
      {
        cwd: dir,
        env: {KAFKA_API_KEY: '', KAFKA_API_SECRET: ''},
      },
    )
    expect(code).toBe(0)
    expect(stdout).toContain(
      '! connection not checked: KAFKA_API_KEY and KAFKA_API_SECRET are not set in this shell (fa reads the Kafka credentials from them when it runs)',
    )
    expect(stdout).toContain('export KAFKA_API_KEY=… KAFKA_API_SECRET=…')
    expect(existsSync(path.join(dir, 'fa.config.yaml'))).toBe(true)
  })

  it('another cluster: TLS, SCRAM, custom env names, topic prefix and names, group', async () => {
    const dir = tmp()
    const {code, stderr} = await runFa(
      [
        'init',
        '--yes',
        '--kafka',
        'other',
        '--brokers',
        'k1.internal:9093, k2.internal:9093',
        '--tls',
        '--sasl',
        'scram-sha-512',
        '--username-env',
        'KAFKA_USER',
        '--password-env',
        'KAFKA_PASS',
        '--topic-prefix',
        'staging.',
        '--topic',
        'notifications=connect-events',
        '--group',
        'fa-staging',
        '--replication-factor',
        '2',
        '--partitions',
        '6',
        '--output',
        'staging.yaml',
        '--no-check',
        '--no-create-topics',
      ],
      {cwd: dir, env: {KAFKA_PASS: SECRET}},
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const text = readFileSync(path.join(dir, 'staging.yaml'), 'utf8')
    expect(text).not.toContain(SECRET)
    const {config} = await load(path.join(dir, 'staging.yaml'))
    expect(config.kafka).toMatchObject({
      brokers: ['k1.internal:9093', 'k2.internal:9093'],
      ssl: true,
      sasl: {mechanism: 'scram-sha-512', usernameEnv: 'KAFKA_USER', passwordEnv: 'KAFKA_PASS'},
      partitions: 6,
      replicationFactor: 2,
    })
    expect(config.topics).toMatchObject({
      notifications: 'connect-events',
      assignments: 'staging.data-csdr-assignment',
      deadLetters: 'staging.fa-dead-letters',
    })
    expect(config.enrich.group).toBe('fa-staging')
  })

  it('refuses to overwrite an existing file without --force', async () => {
    const dir = tmp()
    const file = path.join(dir, 'fa.config.yaml')
    writeFileSync(file, '# mine\n')
    const args = [
      'init',
      '--yes',
      '--kafka',
      'local',
      '--brokers',
      '127.0.0.1:9092',
      '--no-check',
      '--no-create-topics',
    ]
    const refused = await runFa(args, {cwd: dir})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      `Error: ${file} already exists (run \`fa init --force\` to replace it, or --output to write another file)\n`,
    )
    expect(readFileSync(file, 'utf8')).toBe('# mine\n')

    const forced = await runFa([...args, '--force'], {cwd: dir})
    expect(forced.code).toBe(0)
    expect((await load(file)).config.kafka.brokers).toEqual(['127.0.0.1:9092'])
  })

  it('without a TTY and without --yes fails clearly and writes nothing', async () => {
    const dir = tmp()
    const {code, stdout, stderr} = await runFa(['init', '--kafka', 'local'], {cwd: dir})
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe(
      'Error: fa init asks questions and needs a terminal (without one, pass --yes and answer with flags, e.g. `fa init --yes --kafka local`; see `fa init --help`)\n',
    )
    expect(existsSync(path.join(dir, 'fa.config.yaml'))).toBe(false)
  })

  it.each([
    [['--kafka', 'confluent'], /--brokers is required with --kafka confluent/],
    [['--kafka', 'other', '--brokers', 'no-port'], /--brokers: "no-port" is not host:port/],
    [
      ['--kafka', 'other', '--brokers', 'k:9092', '--sasl', 'plain', '--password-env', SECRET],
      /--password-env Zx9\+…: must be an environment variable name/,
    ],
    [['--kafka', 'local', '--sasl', 'plain'], /--sasl and --tls only apply with --kafka other/],
    [['--kafka', 'local', '--topic', 'nope=x'], /--topic nope=x: expected NAME=TOPIC/],
  ])('rejects bad answers %j', async (args, message) => {
    const dir = tmp()
    const {code, stderr} = await runFa(['init', '--yes', '--no-check', ...args], {cwd: dir})
    expect(code).toBe(2)
    expect(stderr).toMatch(message)
    expect(stderr).not.toContain(SECRET)
    expect(existsSync(path.join(dir, 'fa.config.yaml'))).toBe(false)
  })
})

describe.skipIf(!hasScript)('fa init on a terminal (pseudo-TTY via `script`)', () => {
  // The one test of the real prompts (the questions' logic: test/unit/init), Ctrl-C included.
  it('asks the questions, writes what was answered; Ctrl-C after writing says so', async () => {
    const dir = tmp()
    const {code, output} = await runFaOnTty(
      ['init', '--no-create-topics'],
      [
        [/Where is Kafka\?/, K.down + K.down + K.enter], // Another cluster
        [/Bootstrap servers/, 'k1:9092,k2:9092' + K.enter],
        [/Connect with TLS\?/, 'y' + K.enter],
        [/SASL authentication/, K.down + K.down + K.enter], // SCRAM-SHA-256
        [/holding the username/, K.enter], // default KAFKA_USERNAME
        [/holding the password/, 'MY_PASS' + K.enter],
        [/Replication factor/, K.enter],
        [/Topic name prefix/, 'stg.' + K.enter],
        [/Use these\?/, K.enter],
        [/Consumer group/, 'grp' + K.enter],
        [/Schema Registry URL/, K.enter],
        [/Check the connection to Kafka now\?/, K.ctrlC],
      ],
      // The credentials are exported, so the check is offered.
      {cwd: dir, env: {KAFKA_USERNAME: 'fa', MY_PASS: SECRET}},
    )
    expect(output).toContain('✓ wrote fa.config.yaml')
    expect(output).toContain('Error: stopped; fa.config.yaml was written')
    expect(code).toBe(2)
    const text = readFileSync(path.join(dir, 'fa.config.yaml'), 'utf8')
    expect(text).not.toContain(SECRET)
    const {config} = await load(path.join(dir, 'fa.config.yaml'))
    expect(config.kafka).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      ssl: true,
      sasl: {mechanism: 'scram-sha-256', usernameEnv: 'KAFKA_USERNAME', passwordEnv: 'MY_PASS'},
      replicationFactor: 3,
    })
    expect(config.topics.slackUsers).toBe('stg.data-slack-users')
    expect(config.enrich.group).toBe('grp')
    expect(config.slack.group).toBe('stg.fa-send')
  })
})
