// What the `fa produce` tests (test/kafka/produce/) share: the BigQuery REST test server behind a
// proxy that can fail results pages, the onboarding warehouse it answers from, and per test its
// own topics and a config naming them, run through the built CLI against the real test broker.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, request, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Partitioners} from 'kafkajs'
import {afterAll, beforeAll, beforeEach, expect, inject} from 'vitest'

import type {Config} from '../../src/lib/config/schema.js'
import {readCheckpoint} from '../../src/lib/produce/checkpoint.js'
import {eventIdFor} from '../../src/lib/produce/producer.js'
import {startBigQueryServer, type BigQueryServer, type QueryResult, type SentParam} from './bigquery-server.js'
import {runFa, type CliResult} from './cli.js'
import {consumeAll, createTopics, testKafka, uniquePrefix, withAdmin, type Consumed} from './kafka-io.js'
import {onboardingSchema, onboardingStarts} from './onboarding-rows.js'

const brokers = inject('kafkaBrokers')
export const kafka = testKafka(brokers)

/** A test file's servers and temp dir: set before its first test, reset before each one. */
export interface ProduceHarness {
  bigquery: BigQueryServer
  proxy: FaultProxy
  dir: string
}

/** Starts the servers for the calling test file (its beforeAll/afterAll), and resets them before each test. */
export function produceHarness(): ProduceHarness {
  const h = {} as ProduceHarness
  beforeAll(async () => {
    h.bigquery = await startBigQueryServer()
    h.proxy = await startFaultProxy(h.bigquery)
    h.dir = mkdtempSync(path.join(tmpdir(), 'fa-produce-test-'))
  })
  afterAll(async () => {
    await h.proxy?.close()
    await h.bigquery?.close()
    if (h.dir) rmSync(h.dir, {recursive: true, force: true})
  })
  beforeEach(() => {
    h.bigquery.setHandler(onboardingTable())
    h.bigquery.requests.length = 0
    h.proxy.failPagesAfter = undefined
    h.proxy.drop = false
  })
  return h
}

/** The warehouse: org-1 … org-7 started onboarding at 10:00, 10:10, … 11:00 on 2024-05-01. */
export const starts = onboardingStarts()
export const at = (hhmm: string) => `2024-05-01T${hhmm}:00Z`
export const idOf = (row: (typeof starts)[number]) =>
  eventIdFor('onboarding', [row.org_id, row.started_at.toISOString()])

/** Answers like the onboarding SQL: rows with @since <= started_at < @until, in order. */
export function onboardingTable(options: {rows?: Array<Record<string, unknown>>; delay?: Promise<void>} = {}) {
  return async (_sql: string, params: Record<string, SentParam>, context: {dryRun: boolean}): Promise<QueryResult> => {
    if (options.delay && !context.dryRun) await options.delay
    const since = Date.parse(params.since!.value)
    const until = Date.parse(params.until!.value)
    const time = (row: Record<string, unknown>) => new Date(row.started_at as Date | string).getTime()
    const rows = (options.rows ?? starts)
      .filter((row) => time(row) >= since && time(row) < until)
      .sort((a, b) => time(a) - time(b))
    return {schema: onboardingSchema, rows, bytesProcessed: 5_000_000}
  }
}

export interface Setup {
  configFile: string
  topic: string
  deadLetters: string
  checkpoints: string
  config: Pick<Config, 'kafka' | 'topics'>
  fa(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>
  consume(count: number, topic?: string): Promise<Consumed[]>
  checkpoint(): Promise<string | undefined>
}

/** Topics of one test (events, dead letters, compacted checkpoints) and a config naming them. */
export async function setup(
  h: ProduceHarness,
  name: string,
  options: {partitions?: number; endpoint?: string} = {},
): Promise<Setup> {
  const {bigquery, proxy, dir} = h
  const prefix = uniquePrefix(`produce-${name}`)
  const topic = `${prefix}onboarding`
  const deadLetters = `${prefix}dead-letters`
  const checkpoints = `${prefix}checkpoints`
  await createTopics(kafka, [
    {topic, numPartitions: options.partitions ?? 3, replicationFactor: 1},
    {topic: deadLetters, numPartitions: 1, replicationFactor: 1},
    {
      topic: checkpoints,
      numPartitions: 3,
      replicationFactor: 1,
      configEntries: [{name: 'cleanup.policy', value: 'compact'}],
    },
  ])
  const configFile = path.join(dir, `${prefix}yaml`)
  writeFileSync(
    configFile,
    [
      'kafka:',
      `  brokers: ["${brokers}"]`,
      'topics:',
      `  onboarding: ${topic}`,
      `  deadLetters: ${deadLetters}`,
      `  checkpoints: ${checkpoints}`,
      'bigquery:',
      `  projectId: ${bigquery.projectId}`,
      '  location: EU',
      `  apiEndpoint: ${options.endpoint ?? proxy.endpoint}`,
      '  maximumBytesBilled: 1000000000',
      '',
    ].join('\n'),
  )
  const config = {kafka: {brokers: [brokers]}, topics: {checkpoints}} as Pick<Config, 'kafka' | 'topics'>
  return {
    configFile,
    topic,
    deadLetters,
    checkpoints,
    config,
    fa: (args, env = {}) =>
      runFa([...args, '--config', configFile], {env: {...bigquery.env, FA_LOCK_DIR: path.join(dir, 'locks'), ...env}}),
    consume: (count, from = topic) => consumeAll(kafka, [from], count),
    async checkpoint() {
      return withAdmin(
        kafka,
        async (admin) =>
          (await readCheckpoint(kafka, admin, {topic: checkpoints, producer: 'onboarding', timeoutMs: 20_000}))?.until,
      )
    },
  }
}

/** The one line of a run whose results page 2 failed after page 1 (2 records) was produced. */
export const pageFailed = (reason: string) =>
  new RegExp(
    `^Error: BigQuery: reading page 2 of job fa_onboarding_\\S+ failed: ${reason}; 2 records produced \\(repeated next run\\), the checkpoint did not move\\n$`,
  )

export const json = (result: CliResult) => {
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

export const javaPartition = (key: string, partitions: number) =>
  Partitioners.DefaultPartitioner()({
    topic: 't',
    partitionMetadata: Array.from({length: partitions}, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    })),
    message: {key, value: null},
  })

export async function until(condition: () => boolean, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export interface FaultProxy {
  endpoint: string
  /** Pages served before getQueryResults fails (404 job not found); undefined: never. */
  failPagesAfter: number | undefined
  /** Fail by dropping the connection instead of answering 404. */
  drop: boolean
  close(): Promise<void>
}

/** Forwards to the BigQuery test server; fails results pages after `failPagesAfter` pages of a job. */
async function startFaultProxy(bigquery: BigQueryServer): Promise<FaultProxy> {
  const target = bigquery.endpoint
  const pages = new Map<string, number>()
  const state: FaultProxy = {endpoint: '', failPagesAfter: undefined, drop: false, close: async () => {}}
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', target)
    const results = /\/queries\/([^/]+)$/.exec(url.pathname)
    if (results && req.method === 'GET' && state.failPagesAfter !== undefined) {
      const job = decodeURIComponent(results[1]!)
      const served = pages.get(job) ?? 0
      if (served >= state.failPagesAfter) {
        if (state.drop) {
          req.socket.destroy()
          return
        }
        const message = `Not found: Job ${bigquery.projectId}:EU.${job}`
        res.writeHead(404, {'content-type': 'application/json'})
        res.end(
          JSON.stringify({
            error: {code: 404, message, errors: [{message, domain: 'global', reason: 'notFound'}], status: 'NOT_FOUND'},
          }),
        )
        return
      }
      pages.set(job, served + 1)
    }
    const upstream = request(url, {method: req.method, headers: req.headers}, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', (error) => res.destroy(error))
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  state.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return state
}
