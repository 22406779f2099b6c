// The whole chain for onboarding: `fa produce onboarding` (BigQuery test server) twice over
// overlapping windows, `fa enrich` (cron mode), `fa send` (Slack test server): one onboarding
// alert per org, in the DM of its account owner, however often produce saw the row.
import {Kafka, logLevel, Partitioners} from 'kafkajs'
import {afterAll, beforeAll, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../src/lib/kafka/patches/node-warnings.js'
import {eventIdFor} from '../../src/lib/produce/producer.js'
import {
  startBigQueryServer,
  type BigQueryServer,
  type Field,
  type QueryResult,
  type SentParam,
} from '../support/bigquery-server.js'
import {runFa, type CliResult} from '../support/cli.js'
import {fastKafkaEnv, prefixedConfig, readToEnd} from '../support/fa-process.js'
import {startSlackServer, type SlackServer} from '../support/slack-server.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-e2e-test', brokers: [brokers], logLevel: logLevel.NOTHING})

let bigquery: BigQueryServer
let slack: SlackServer

beforeAll(async () => {
  ;[bigquery, slack] = await Promise.all([startBigQueryServer(), startSlackServer()])
})
afterAll(async () => {
  await Promise.all([bigquery?.close(), slack?.close()])
})

const schema: Field[] = [
  {name: 'org_id', type: 'STRING'},
  {name: 'org_name', type: 'STRING'},
  {name: 'plan', type: 'STRING'},
  {name: 'region', type: 'STRING'},
  {name: 'started_at', type: 'TIMESTAMP'},
]

/** org-1 … org-6 start onboarding at 10:00, 10:10, … 10:50; odd ones belong to Ada, even ones to Bo. */
const starts = Array.from({length: 6}, (_, i) => ({
  org_id: `org-${i + 1}`,
  org_name: `Org ${i + 1}`,
  plan: 'growth',
  region: 'eu-west',
  started_at: new Date(Date.UTC(2024, 4, 1, 10, i * 10)),
}))
const owners = {
  ada: {email: 'ada@example.com', slackUserId: 'U0ADA'},
  bo: {email: 'Bo@Example.com', slackUserId: 'U0BO'},
}
const ownerOf = (orgId: string) => (Number(orgId.slice(4)) % 2 ? owners.ada : owners.bo)

function onboardingTable(_sql: string, params: Record<string, SentParam>): QueryResult {
  const since = Date.parse(params.since!.value)
  const until = Date.parse(params.until!.value)
  return {
    schema,
    rows: starts.filter((r) => r.started_at.getTime() >= since && r.started_at.getTime() < until),
    bytesProcessed: 1_000_000,
  }
}

const ok = (result: CliResult, what: string) => {
  expect(result.code, `${what}: ${result.stderr}`).toBe(0)
  return result
}

it('produce twice over overlapping windows, enrich, send: one onboarding alert per org to its account owner', async () => {
  const cfg = prefixedConfig(
    'e2e-onboarding',
    [
      'enrich:',
      `  group: ${'g-'}${Math.random().toString(36).slice(2)}-enrich`,
      'bigquery:',
      `  projectId: ${bigquery.projectId}`,
      '  location: EU',
      `  apiEndpoint: ${bigquery.endpoint}`,
      'slack:',
      `  apiUrl: ${slack.url}`,
      `  group: ${'g-'}${Math.random().toString(36).slice(2)}-send`,
      '',
    ].join('\n'),
  )
  const env = {
    ...fastKafkaEnv,
    ...bigquery.env,
    FA_LOCK_DIR: `${cfg.file}.locks`,
    SLACK_BOT_TOKEN: slack.token,
    FA_LOG_FORMAT: 'json',
    FA_LOG_LEVEL: 'warn',
  }
  const fa = (args: string[]) => runFa([...args, '-c', cfg.file], {env})
  ok(await fa(['topics', 'create', '--json']), 'topics create')

  // The tables: who owns each org, and their Slack users (emails match case-insensitively).
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  try {
    await producer.send({
      topic: cfg.topics.assignments,
      acks: -1,
      messages: starts.map((row) => ({
        key: row.org_id,
        value: JSON.stringify({
          orgId: row.org_id,
          orgName: row.org_name,
          csdrEmail: ownerOf(row.org_id).email,
          csdrName: 'CSDR',
        }),
      })),
    })
    await producer.send({
      topic: cfg.topics.slackUsers,
      acks: -1,
      messages: Object.values(owners).map((o) => ({
        key: o.email.toLowerCase(),
        value: JSON.stringify({email: o.email.toLowerCase(), slackUserId: o.slackUserId}),
      })),
    })
  } finally {
    await producer.disconnect()
  }

  // Two cron runs whose windows overlap: org-3 and org-4 are produced twice.
  bigquery.setHandler(onboardingTable)
  const first = JSON.parse(
    ok(
      await fa([
        'produce',
        'onboarding',
        '--since',
        '2024-05-01T10:00:00Z',
        '--until',
        '2024-05-01T10:40:00Z',
        '--json',
      ]),
      'produce 1',
    ).stdout,
  )
  const second = JSON.parse(
    ok(
      await fa([
        'produce',
        'onboarding',
        '--since',
        '2024-05-01T10:20:00Z',
        '--until',
        '2024-05-01T11:00:00Z',
        '--json',
      ]),
      'produce 2',
    ).stdout,
  )
  expect([first.events, second.events]).toEqual([4, 4])
  const events = await readToEnd(kafka, [cfg.topics.onboarding])
  expect(events).toHaveLength(8)

  ok(await fa(['enrich', '--from', 'earliest', '--json']), 'enrich')
  const messages = await readToEnd(kafka, [cfg.topics.slackMessages])
  // One alert per event; the repeated events give the same alert ids.
  expect(messages).toHaveLength(8)
  expect(new Set(messages.map((m) => m.key)).size).toBe(6)

  ok(await fa(['send', '--from', 'earliest', '--json']), 'send')
  // Exactly one post per org, in the DM of its owner.
  expect(slack.posts).toHaveLength(6)
  for (const row of starts) {
    const posts = slack.posts.filter((p) => p.text?.includes(row.org_name))
    expect(posts, row.org_id).toHaveLength(1)
    expect(posts[0]!.requested).toBe(ownerOf(row.org_id).slackUserId)
    expect(JSON.stringify(posts[0]!.blocks)).toContain(
      eventIdFor('onboarding', [row.org_id, row.started_at.toISOString()]),
    )
  }

  // A second send (cron again) posts nothing more.
  ok(await fa(['send', '--from', 'earliest', '--json']), 'send again')
  expect(slack.posts).toHaveLength(6)
})
