// `fa init`'s questions through a scripted Prompter: what is asked, in which order, what each
// answer becomes in the settings, and what flags answer without asking.
import {describe, expect, it} from 'vitest'

import {defaultTopics} from '../../../src/lib/config/schema.js'
import {prefixedTopics, renderConfig} from '../../../src/lib/config/write.js'
import {askSettings} from '../../../src/lib/init/ask.js'
import {ENTER, script} from '../../support/prompts.js'

const ENV_REFUSED = 'an environment variable name (letters, digits, _), not the value itself'

describe('fa init asks', () => {
  it('Confluent Cloud: the bootstrap server and the env var names; TLS, PLAIN and 3 replicas unasked', async () => {
    const prompt = script([
      [/^Where is Kafka\?/, 'confluent'],
      [/^Bootstrap server \(Cluster settings → Endpoints/, ['no-port', 'pkc-abc12.us-east-1.aws.confluent.cloud:9092']],
      [/^Environment variable holding the API key$/, ENTER],
      [/^Environment variable holding the API secret$/, ['Zx9+secret/value', 'MY_SECRET']],
      [/^Topic name prefix/, ENTER],
      [/Use these\?$/, ENTER],
      [/^Consumer group of `fa enrich`$/, ENTER],
      [/^Schema Registry URL/, ENTER],
    ])
    expect(await askSettings({}, {prompt})).toEqual({
      brokers: ['pkc-abc12.us-east-1.aws.confluent.cloud:9092'],
      ssl: true,
      sasl: {mechanism: 'plain', usernameEnv: 'KAFKA_API_KEY', passwordEnv: 'MY_SECRET'},
      topics: defaultTopics,
      group: 'fa-enrich',
      partitions: 3,
      replicationFactor: 3,
    })
    expect(prompt.refused).toEqual(['"no-port" is not host:port', ENV_REFUSED])
    expect(prompt.left).toEqual([])
  })

  it('local: offers the broker `npm run kafka:up` started; no TLS, SASL or replication questions', async () => {
    const prompt = script([
      [/^Where is Kafka\?/, ENTER],
      [/^Local broker address$/, ENTER],
      [/^Topic name prefix/, 'dev.'],
      [/Use these\?$/, ENTER],
      [/^Consumer group/, ENTER],
      [/^Schema Registry URL/, ENTER],
    ])
    const detected = {brokers: '127.0.0.1:39092', file: '.kafka/bootstrap'}
    expect(await askSettings({}, {prompt, detected})).toEqual({
      brokers: ['127.0.0.1:39092'],
      ssl: false,
      sasl: undefined,
      topics: prefixedTopics('dev.'),
      // The prefix names the default consumer groups too.
      group: 'dev.fa-enrich',
      sendGroup: 'dev.fa-send',
      partitions: 3,
      replicationFactor: 1,
    })
    expect(prompt.asked[0]).toBe(
      [
        'Where is Kafka?',
        'The local test broker (127.0.0.1:39092 from .kafka/bootstrap)',
        'Confluent Cloud (SASL_SSL, API key and secret)',
        'Another cluster',
      ].join('\n  '),
    )
    // The names are listed, under their labels, before the yes.
    expect(prompt.asked[3]).toContain('\n  connector notifications (events)  dev.data-notifications-pipeline\n')
    expect(prompt.asked[3]).toContain('\n  checkpoints                       dev.fa-checkpoints\n')
    expect(prompt.left).toEqual([])
  })

  it('another cluster with SASL/SCRAM: TLS, mechanism, env names, replicas, then each topic name', async () => {
    const prompt = script([
      [/^Where is Kafka\?/, 'other'],
      [/^Bootstrap servers \(host:port, comma-separated\)$/, 'k1:9093, k2:9093'],
      [/^Connect with TLS\?$/, true],
      [/^SASL authentication$/, 'scram-sha-512'],
      [/holding the username$/, ENTER],
      [/holding the password$/, 'KAFKA_PASS'],
      [/^Replication factor of topics fa creates$/, ['0', '2']],
      [/^Topic name prefix/, ['bad prefix', 'staging.']],
      [/Use these\?$/, false],
      [/^Topic for connector notifications \(events\)$/, ['bad/name', 'connect-events']],
      [/^Topic for CSDR assignments \(table\)$/, ENTER],
      [/^Topic for Slack users \(table\)$/, ENTER],
      [/^Topic for onboarding events$/, ENTER],
      [/^Topic for cluster events$/, ENTER],
      [/^Topic for Slack messages \(alerts out\)$/, 'alerts'],
      [/^Topic for Slack responses$/, ENTER],
      [/^Topic for dead letters$/, ENTER],
      [/^Topic for checkpoints$/, ENTER],
      [/^Topic for alert state \(changelog\)$/, ENTER],
      [/^Consumer group/, ['  ', 'fa-staging']],
      [/^Schema Registry URL/, ENTER],
    ])
    expect(await askSettings({}, {prompt})).toEqual({
      brokers: ['k1:9093', 'k2:9093'],
      ssl: true,
      sasl: {mechanism: 'scram-sha-512', usernameEnv: 'KAFKA_USERNAME', passwordEnv: 'KAFKA_PASS'},
      topics: {...prefixedTopics('staging.'), notifications: 'connect-events', slackMessages: 'alerts'},
      group: 'fa-staging',
      sendGroup: 'staging.fa-send',
      partitions: 3,
      replicationFactor: 2,
    })
    expect(prompt.refused).toEqual([
      'a positive number',
      'letters, digits, ".", "_" and "-" only',
      'letters, digits, ".", "_" and "-", at most 249 characters',
      'required',
    ])
    expect(prompt.left).toEqual([])
  })

  it('asks only what the flags leave open', async () => {
    const prompt = script([
      [/^Connect with TLS\?$/, ENTER],
      [/holding the username$/, 'ME'],
      [/^Replication factor/, ENTER],
      [/Use these\?$/, ENTER],
      [/holding the Schema Registry API key$/, ['sr key', 'SR_KEY']],
    ])
    const answers = {
      kafka: 'other' as const,
      brokers: 'k:9092',
      sasl: 'plain' as const,
      'password-env': 'PW',
      'topic-prefix': 'stg.',
      topic: ['deadLetters=dlq'],
      group: 'g',
      'schema-registry': 'https://psrc-1.example.cloud',
      'schema-registry-secret-env': 'SR_SECRET',
    }
    const settings = await askSettings(answers, {prompt})
    expect(settings.schemaRegistry).toEqual({
      url: 'https://psrc-1.example.cloud',
      usernameEnv: 'SR_KEY',
      passwordEnv: 'SR_SECRET',
    })
    expect(renderConfig(settings)).toContain(
      'schemaRegistry:\n  url: https://psrc-1.example.cloud\n  usernameEnv: SR_KEY\n  passwordEnv: SR_SECRET\n',
    )
    await expect(askSettings({...answers, 'schema-registry': 'psrc-1.example.cloud'}, {})).rejects.toThrow(
      /--schema-registry psrc-1\.example\.cloud: must be an http/,
    )
    expect(settings).toMatchObject({
      ssl: false,
      sasl: {mechanism: 'plain', usernameEnv: 'ME', passwordEnv: 'PW'},
      replicationFactor: 3,
      topics: {...prefixedTopics('stg.'), deadLetters: 'dlq'},
      group: 'g',
    })
    // A name given by --topic is not offered again.
    expect(prompt.asked[3]).not.toContain('dead letters')
    expect(prompt.left).toEqual([])

    const all = Object.keys(defaultTopics).map((key) => `${key}=t-${key}`)
    const none = script([])
    const local = await askSettings(
      {kafka: 'local', brokers: 'h:1', 'topic-prefix': '', topic: all, group: 'g', 'schema-registry': 'none'},
      {prompt: none},
    )
    expect(local.topics.checkpoints).toBe('t-checkpoints')
    expect(none.asked).toEqual([])
  })
})

describe('fa init --yes (nothing asked)', () => {
  it('takes the defaults: the local broker, detected or 127.0.0.1:9092; topic prefix and names from flags', async () => {
    expect(await askSettings({}, {})).toMatchObject({brokers: ['127.0.0.1:9092'], ssl: false, replicationFactor: 1})
    expect(await askSettings({}, {detected: {brokers: 'h:7', file: 'x'}})).toMatchObject({brokers: ['h:7']})
    expect(await askSettings({kafka: 'other', brokers: 'k:9092'}, {})).toMatchObject({
      ssl: false,
      sasl: undefined,
      replicationFactor: 3,
    })
    const {topics} = await askSettings({'topic-prefix': 'stg.', topic: ['notifications=events']}, {})
    expect(topics).toEqual({...prefixedTopics('stg.'), notifications: 'events'})
  })

  it.each([
    [{kafka: 'confluent' as const}, '--brokers is required with --kafka confluent'],
    [{kafka: 'local' as const, tls: true}, '--sasl and --tls only apply with --kafka other (a local broker has no TLS'],
    [{kafka: 'confluent' as const, sasl: 'plain' as const}, 'only apply with --kafka other (Confluent Cloud always'],
    [{kafka: 'local' as const, 'username-env': 'U'}, '--username-env and --password-env do not apply'],
    [{kafka: 'other' as const, brokers: 'k:1', 'password-env': 'P'}, '--username-env and --password-env need --sasl'],
    [{brokers: 'no-port'}, '--brokers: "no-port" is not host:port'],
    [{kafka: 'other' as const, brokers: 'k:1', sasl: 'plain' as const, 'username-env': 'a-b'}, '--username-env a-b:'],
    [{'topic-prefix': 'a b'}, '--topic-prefix a b: letters'],
    [{topic: ['nope=x']}, '--topic nope=x: expected NAME=TOPIC'],
    [{topic: ['notifications=a/b']}, '--topic notifications=a/b: "a/b" is not a legal Kafka topic name'],
  ])('refuses bad flags: %j', async (answers, message) => {
    await expect(askSettings(answers, {})).rejects.toThrow(message)
  })

  it('refuses flags that contradict --kafka before asking anything', async () => {
    const prompt = script([])
    await expect(askSettings({kafka: 'local', sasl: 'none'}, {prompt})).rejects.toThrow(/^--sasl and --tls only/)
    await expect(askSettings({kafka: 'local', 'password-env': 'P'}, {prompt})).rejects.toThrow(/^--username-env/)
    expect(prompt.asked).toEqual([])
  })
})
