import {z} from 'zod'

import {parseDuration} from '../pipeline/duration.js'

/** Default topic names; every one can be renamed under `topics:` in the config. */
export const defaultTopics = {
  notifications: 'data-notifications-pipeline',
  assignments: 'data-csdr-assignment',
  slackUsers: 'data-slack-users',
  onboarding: 'data-onboarding-events',
  clusters: 'data-cluster-events',
  slackMessages: 'slack-messages',
  slackResponses: 'slack-responses',
  deadLetters: 'fa-dead-letters',
  checkpoints: 'fa-checkpoints',
  /** The changelog of stateful alert types (open incidents, histories): compacted, owned by fa enrich. */
  state: 'fa-state',
}

/** `host:port` (`[v6 address]:port` too, to be refused by its own message): anything else would only fail later, as a connection error. */
export const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):\d{1,5}$/
const BROKER_MESSAGE = 'must be host:port (e.g. pkc-xxxxx.us-east-1.aws.confluent.cloud:9092)'
export const inPortRange = (port: number) => port >= 1 && port <= 65_535
/** kafkajs splits an address at its first colon: an IPv6 literal could never be reached. */
export const isIpv6Broker = (broker: string) => broker.startsWith('[')
export const IPV6_BROKER = 'is an IPv6 address, which kafkajs cannot connect to: use a host name'
const broker = z
  .string()
  .regex(BROKER, BROKER_MESSAGE)
  // A port out of range would only fail later, as a connection error after the whole timeout.
  .refine((b) => !BROKER.test(b) || inPortRange(Number(b.slice(b.lastIndexOf(':') + 1))), {
    message: `${BROKER_MESSAGE}, with a port from 1 to 65535`,
  })
  .refine((b) => !isIpv6Broker(b), {message: IPV6_BROKER})

/** `--from`'s config default: earliest, latest, an ISO time or a duration ago. */
const startFrom = z
  .string()
  .regex(
    /^(?:earliest|latest|(?:\d+[smhd])+|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))?)$/i,
    'must be earliest, latest, a duration (2h, 1d) or an ISO time with its zone',
  )
  .optional()

const duration = z.string().regex(/^(?:\d+[smhd])+$/, 'must be a duration such as 30m, 24h or 2d')

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')

// --- Schema Registry and wire formats -------------------------------------------------------

/** How a topic's keys or values are written: plain JSON, or the Schema Registry wire format. */
export const wireFormats = ['auto', 'json', 'avro', 'protobuf', 'json-schema'] as const
export type WireFormat = (typeof wireFormats)[number]
const wireFormat = z.enum(wireFormats)
export interface TopicFormats {
  key: WireFormat
  value: WireFormat
}

/** The logical name (role) of a real topic name, for `formats:`; undefined when none maps to it. */
export function roleOf(topics: Record<string, string>, topic: string): string | undefined {
  return Object.keys(topics).find((role) => topics[role] === topic)
}

const schemaRegistrySchema = z
  .strictObject({
    /** The Confluent-compatible API's base URL (SCHEMA_REGISTRY_URL wins). */
    url: z.url().optional(),
    /** Basic auth (Confluent Cloud: an API key and secret), used when both variables are set. */
    usernameEnv: envName.default('SCHEMA_REGISTRY_API_KEY'),
    passwordEnv: envName.default('SCHEMA_REGISTRY_API_SECRET'),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .prefault({})

/** Per topic role (logical name): the value's format, or `{value, key}`; `auto` by default. */
const formatsSchema = z
  .record(
    z.string(),
    z.union([
      wireFormat.transform((value) => ({value, key: 'auto' as WireFormat})),
      z.strictObject({value: wireFormat.default('auto'), key: wireFormat.default('auto')}),
    ]),
  )
  .superRefine((formats, ctx) => {
    for (const role of INTERNAL_ROLES) {
      const f = formats[role]
      if (f && [f.key, f.value].some((format) => format !== 'auto' && format !== 'json'))
        ctx.addIssue({
          code: 'custom',
          path: [role],
          message: "is fa's own JSON topic (dead letters keep the bytes they had)",
        })
    }
  })
  .default({})

/** Topics only fa reads and writes, always JSON (a dead letter is the original record's bytes). */
const INTERNAL_ROLES = ['state', 'checkpoints', 'deadLetters']

// ---------------------------------------------------------------------------------------------

/**
 * The config file (fa.config.yaml). Secrets never appear here: only the names of the
 * environment variables (or files) that hold them.
 */
export const configSchema = z.strictObject({
  kafka: z
    .strictObject({
      brokers: z.array(broker).min(1).default(['127.0.0.1:9092']),
      clientId: z.string().min(1).default('fa'),
      ssl: z.boolean().default(false),
      sasl: z
        .strictObject({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('plain'),
          usernameEnv: envName.default('KAFKA_API_KEY'),
          passwordEnv: envName.default('KAFKA_API_SECRET'),
        })
        .optional(),
      connectionTimeoutMs: z.number().int().positive().default(10_000),
      partitions: z.number().int().positive().default(3),
      replicationFactor: z.number().int().positive().default(1),
    })
    .prefault({}),
  topics: z
    .record(z.string(), z.string().min(1))
    .default({})
    .transform((topics): typeof defaultTopics & Record<string, string> => ({...defaultTopics, ...topics})),
  enrich: z
    .strictObject({
      group: z.string().min(1).default('fa-enrich'),
      /** Where a new group starts (`fa enrich --from`); unset: a new group with records waiting is refused. */
      from: startFrom,
      transactionalIdPrefix: z.string().min(1).default('fa-enrich'),
      /** Members of the group one `fa enrich` runs, each on a thread of its own (`--threads`). */
      threads: z.number().int().min(1).max(64).default(1),
    })
    .prefault({}),
  alerts: z
    .strictObject({
      /** Built-in alert types to run; all by default. */
      builtIn: z.array(z.string()).optional(),
      /** Paths (relative to the config file) of modules whose default export is an alert type. */
      modules: z.array(z.string().min(1)).default([]),
      /** Incident windows by alert type, over what each declares: `{connector-provisioning-failed: 12h}`. */
      windows: z
        .record(
          z.string(),
          z.string().refine((text) => Boolean(parseDuration(text)), 'must be a duration like 24h, 30m, 2d or 1h30m'),
        )
        .default({}),
    })
    .prefault({}),
  slack: z
    .strictObject({
      tokenEnv: envName.default('SLACK_BOT_TOKEN'),
      tokenFile: z.string().optional(),
      apiUrl: z.url().optional(),
      group: z.string().min(1).default('fa-send'),
      /** Where a new group starts (`fa send --from`); unset: a new group with alerts waiting is refused. */
      from: startFrom,
      /** Alerts whose event is older are not sent, but recorded as expired (`fa send --max-age`). */
      maxAlertAge: duration.default('24h'),
      perChannelPerSecond: z.number().positive().default(1),
      perChannelBurst: z.number().int().positive().default(3),
      workspacePerMinute: z.number().positive().default(600),
      maxAttempts: z.number().int().positive().default(6),
      timeoutMs: z.number().int().positive().default(10_000),
      /**
       * How long fa send remembers an alert's outcome (by the response's record time): longer than
       * any incident window, so updates still find their post. Older alerts would be sent again.
       */
      retention: z
        .string()
        .refine((text) => Boolean(parseDuration(text)), 'must be a duration like 7d, 36h or 90m')
        .default('7d'),
      /** conversations.history calls a minute, all channels together: under Slack's Tier 3 (about 50). */
      historyPerMinute: z.number().positive().default(45),
    })
    .prefault({}),
  bigquery: z
    .strictObject({
      projectId: z.string().optional(),
      location: z.string().default('US'),
      apiEndpoint: z.url().optional(),
      /** Bytes a query may bill before BigQuery refuses it. */
      maximumBytesBilled: z.coerce.bigint().positive().default(10_000_000_000n),
      pricePerTiB: z.number().nonnegative().default(6.25),
    })
    .prefault({}),
  producers: z
    .strictObject({
      modules: z.array(z.string().min(1)).default([]),
      /** Per producer name: how far before the checkpoint `--since checkpoint` re-reads (default 15m). */
      grace: z
        .record(z.string(), z.string().regex(/^(?:0+|(?:\d+[smhd])+)$/, 'a duration such as 15m, 1h or 0'))
        .default({}),
    })
    .prefault({}),
  /** `/metrics`, `/healthz` and `/readyz` of `fa enrich --follow` and `fa send --follow`. */
  metrics: z
    .strictObject({
      /** Serve on this port (`--metrics-port` wins); none: no metrics server. */
      port: z.number().int().min(0).max(65_535).optional(),
      /** Loopback unless said otherwise: metrics name topics, groups and channels. */
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  schemaRegistry: schemaRegistrySchema,
  formats: formatsSchema,
})

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>
