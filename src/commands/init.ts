import path from 'node:path'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/cli/base-command.js'
import {defaultTopics} from '../lib/config/schema.js'
import {FaError} from '../lib/errors.js'
import {detectLocalBroker} from '../lib/init/detect.js'
import {runInit} from '../lib/init/run.js'
import {colorFor} from '../lib/output/color.js'

export default class Init extends BaseCommand {
  static override summary =
    'Write fa.config.yaml: where Kafka is, credentials (as env var names), topics, consumer group.'
  static override description = `Asks where Kafka is (the local test broker from \`npm run kafka:up\`, Confluent Cloud, or another cluster), which environment variables hold the credentials, the topic names and the consumer group; writes the config file; then offers to check the connection and to create the topics.

Every answer also has a flag: with --yes, questions not answered by a flag take their defaults, so \`fa init --yes ...\` runs without a terminal. Secrets are never written: the file names the environment variables that hold them. An existing file is only replaced with --force.`

  static override examples = [
    {description: 'Answer the questions', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'The local test broker, defaults everywhere',
      command: '<%= config.bin %> <%= command.id %> --yes --kafka local',
    },
    {
      description: 'Confluent Cloud (SASL_SSL PLAIN; key and secret in KAFKA_API_KEY / KAFKA_API_SECRET)',
      command:
        '<%= config.bin %> <%= command.id %> --yes --kafka confluent --brokers ' +
        'pkc-abc12.us-east-1.aws.confluent.cloud:9092 --no-create-topics',
    },
    {
      description: 'Another cluster with TLS and SCRAM, staging topic names',
      command:
        '<%= config.bin %> <%= command.id %> --yes --kafka other --brokers k1:9093,k2:9093 --tls ' +
        '--sasl scram-sha-512 --username-env KAFKA_USER --password-env KAFKA_PASS --topic-prefix ' +
        'staging. --group fa-staging',
    },
  ]

  static override flags = {
    yes: Flags.boolean({
      char: 'y',
      description: 'ask nothing: questions not answered by a flag take their defaults (needed without a terminal)',
    }),
    force: Flags.boolean({description: 'replace an existing config file'}),
    output: Flags.string({
      char: 'o',
      description: 'file to write (default: --config / FA_CONFIG if given, else fa.config.yaml)',
      helpValue: 'FILE',
    }),
    kafka: Flags.option({
      options: ['local', 'confluent', 'other'] as const,
      description: 'where Kafka is (default with --yes: local)',
    })(),
    brokers: Flags.string({
      description: 'bootstrap servers, host:port[,host:port...] (local: read from .kafka/bootstrap)',
      helpValue: 'LIST',
    }),
    tls: Flags.boolean({description: 'other cluster: connect with TLS', allowNo: true}),
    sasl: Flags.option({
      options: ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const,
      description: 'other cluster: SASL mechanism (default none)',
    })(),
    'username-env': Flags.string({
      description: 'environment variable holding the SASL username / API key',
      helpValue: 'NAME',
    }),
    'password-env': Flags.string({
      description: 'environment variable holding the SASL password / API secret',
      helpValue: 'NAME',
    }),
    partitions: Flags.integer({description: 'partitions of topics fa creates (default 3)', min: 1}),
    'replication-factor': Flags.integer({
      description: 'replication factor of topics fa creates (default: 1 local, 3 otherwise)',
      min: 1,
    }),
    'topic-prefix': Flags.string({description: 'prefix for every default topic name', helpValue: 'PFX'}),
    topic: Flags.string({
      description:
        `one topic name, e.g. notifications=my-events (names: ` +
        `${Object.keys(defaultTopics).join(', ')}); repeatable`,
      multiple: true,
      helpValue: 'NAME=TOPIC',
    }),
    group: Flags.string({description: 'consumer group of `fa enrich` (default fa-enrich)', helpValue: 'GROUP'}),
    'schema-registry': Flags.string({
      description: 'Schema Registry URL, for Avro/Protobuf/JSON Schema topics (default: none)',
      helpValue: 'URL',
    }),
    'schema-registry-key-env': Flags.string({
      description: 'environment variable holding the Schema Registry API key (default SCHEMA_REGISTRY_API_KEY)',
      helpValue: 'NAME',
    }),
    'schema-registry-secret-env': Flags.string({
      description: 'environment variable holding the Schema Registry API secret (default SCHEMA_REGISTRY_API_SECRET)',
      helpValue: 'NAME',
    }),
    check: Flags.boolean({description: 'check the connection after writing (default: yes)', allowNo: true}),
    'create-topics': Flags.boolean({
      description: 'create the topics after writing (default: yes on a local broker, no elsewhere)',
      allowNo: true,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Init)
    this.verbose ||= flags.verbose
    const interactive = !flags.yes
    if (interactive && !(process.stdin.isTTY && process.stdout.isTTY)) {
      throw new FaError('fa init asks questions and needs a terminal', {
        hint: 'without one, pass --yes and answer with flags, e.g. `fa init --yes --kafka local`; see `fa init --help`',
      })
    }
    const failed = await runInit({
      file: path.resolve(flags.output ?? flags.config ?? 'fa.config.yaml'),
      force: flags.force,
      answers: flags,
      check: flags.check,
      createTopics: flags['create-topics'],
      prompt: interactive ? await import('@inquirer/prompts') : undefined,
      detected: detectLocalBroker(this.config.root),
      out: {log: (line) => this.log(line), warn: (message) => this.warn(message), color: colorFor(process.stdout)},
      verbose: this.verbose,
    })
    // The file is written and the failure explained: exit with its code, without repeating it.
    if (failed !== undefined) this.exit(failed)
  }
}
