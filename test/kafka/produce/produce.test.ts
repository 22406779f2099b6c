// `fa produce NAME` end to end: the built CLI, the BigQuery REST test server (real client, real
// ADC) and the real test broker. Every test has its own topics (a temp config renames them).
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, request, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {hostname, tmpdir} from 'node:os'
import path from 'node:path'

import {Partitioners} from 'kafkajs'
import {afterAll, beforeAll, beforeEach, describe, expect, inject, it} from 'vitest'

import type {Config} from '../../../src/lib/config/schema.js'
import {readCheckpoint} from '../../../src/lib/produce/checkpoint.js'
import {acquireLock, produceLockFile} from '../../../src/lib/produce/lock.js'
import {eventIdFor} from '../../../src/lib/produce/producer.js'
import {
  startBigQueryServer,
  type BigQueryServer,
  type QueryResult,
  type SentParam,
} from '../../support/bigquery-server.js'
import {root, runFa, type CliResult} from '../../support/cli.js'
import {
  consumeAll,
  createTopics,
  recordCount,
  testKafka,
  uniquePrefix,
  withAdmin,
  type Consumed,
} from '../../support/kafka-io.js'
import {onboardingSchema, onboardingStarts} from '../../support/onboarding-rows.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)

let bigquery: BigQueryServer
let proxy: FaultProxy
let dir: string

beforeAll(async () => {
  bigquery = await startBigQueryServer()
  proxy = await startFaultProxy(bigquery.endpoint)
  dir = mkdtempSync(path.join(tmpdir(), 'fa-produce-test-'))
})
afterAll(async () => {
  await proxy?.close()
  await bigquery?.close()
  if (dir) rmSync(dir, {recursive: true, force: true})
})
beforeEach(() => {
  bigquery.setHandler(onboardingTable())
  bigquery.requests.length = 0
  proxy.failPagesAfter = undefined
  proxy.drop = false
})

/** The warehouse: org-1 … org-7 started onboarding at 10:00, 10:10, … 11:00 on 2024-05-01. */
const starts = onboardingStarts()
const at = (hhmm: string) => `2024-05-01T${hhmm}:00Z`
const idOf = (row: (typeof starts)[number]) => eventIdFor('onboarding', [row.org_id, row.started_at.toISOString()])

/** Answers like the onboarding SQL: rows with @since <= started_at < @until, in order. */
function onboardingTable(options: {rows?: Array<Record<string, unknown>>; delay?: Promise<void>} = {}) {
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

interface Setup {
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
async function setup(name: string, options: {partitions?: number; endpoint?: string} = {}): Promise<Setup> {
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
const pageFailed = (reason: string) =>
  new RegExp(
    `^Error: BigQuery: reading page 2 of job fa_onboarding_\\S+ failed: ${reason}; 2 records produced \\(repeated next run\\), the checkpoint did not move\\n$`,
  )

const json = (result: CliResult) => {
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout)
}

const javaPartition = (key: string, partitions: number) =>
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

describe('fa produce (real broker, BigQuery test server)', () => {
  it('publishes one event per row with key, deterministic id and value; a bad row is dead-lettered', async () => {
    const t = await setup('events')
    const bad = {org_id: '', org_name: 'No Id', plan: null, region: null, started_at: new Date(at('10:05'))}
    bigquery.setHandler(onboardingTable({rows: [...starts, bad]}))

    const summary = json(
      await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']),
    )
    expect(summary).toMatchObject({
      producer: 'onboarding',
      rows: 4,
      events: 3,
      deadLetters: 1,
      topic: t.topic,
      window: {since: '2024-05-01T10:00:00.000Z', until: '2024-05-01T10:30:00.000Z'},
      bytesProcessed: 5_000_000,
      jobId: expect.stringMatching(/^fa_onboarding_/),
      durationMs: expect.any(Number),
      checkpoint: {previous: null, current: '2024-05-01T10:30:00.000Z', advanced: true},
    })
    // The documented summary fields come first, in this order.
    expect(Object.keys(summary).slice(0, 9)).toEqual([
      'producer',
      'rows',
      'events',
      'deadLetters',
      'topic',
      'window',
      'bytesProcessed',
      'jobId',
      'durationMs',
    ])

    const consumed = await t.consume(3)
    expect(await recordCount(kafka, [t.topic])).toBe(3)
    const byKey = new Map(consumed.map((c) => [c.message.key!.toString(), c]))
    expect([...byKey.keys()].sort()).toEqual(['org-1', 'org-2', 'org-3'])
    for (const row of starts.slice(0, 3)) {
      const {partition, message} = byKey.get(row.org_id)!
      expect(partition).toBe(javaPartition(row.org_id, 3))
      expect(JSON.parse(message.value!.toString())).toEqual({
        eventId: idOf(row),
        eventType: 'onboarding_started',
        orgId: row.org_id,
        orgName: row.org_name,
        plan: row.plan,
        region: 'eu-west',
        startedAt: row.started_at.toISOString(),
      })
      expect(message.headers?.['fa-producer']?.toString()).toBe('onboarding')
      expect(message.headers?.['fa-job-id']?.toString()).toBe(summary.jobId)
    }

    const [dead] = await t.consume(1, t.deadLetters)
    expect(await recordCount(kafka, [t.deadLetters])).toBe(1)
    const headers = Object.fromEntries(Object.entries(dead!.message.headers ?? {}).map(([k, v]) => [k, String(v)]))
    expect(headers).toMatchObject({
      'fa-error': expect.stringMatching(/^producer "onboarding": row org_id: /),
      'fa-producer': 'onboarding',
      'fa-job-id': summary.jobId,
      // Row 2 of the result: the query orders by started_at.
      'fa-row': '2',
      'fa-window-since': '2024-05-01T10:00:00.000Z',
      'fa-window-until': '2024-05-01T10:30:00.000Z',
    })
    expect(JSON.parse(dead!.message.value!.toString())).toEqual({
      org_id: '',
      org_name: 'No Id',
      plan: null,
      region: null,
      started_at: '2024-05-01T10:05:00.000Z',
    })
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')
  })

  it('reads every page of a multi-page result, and a human summary by default', async () => {
    const t = await setup('pages')
    const result = await t.fa([
      'produce',
      'onboarding',
      '--since',
      at('09:00'),
      '--until',
      at('12:00'),
      '--page-size',
      '2',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(`^produced 7 events from 7 rows of onboarding to ${t.topic.replaceAll('.', '\\.')}$`, 'm'),
    )
    expect(result.stdout).toMatch(/^ {2}checkpoint {2}advanced to 2024-05-01T12:00:00\.000Z$/m)
    const pages = bigquery.requests.filter((r) => r.route === 'jobs.getQueryResults')
    expect(pages.map((r) => r.query.maxResults)).toEqual(['2', '2', '2', '2'])
    expect(pages.filter((r) => r.query.pageToken)).toHaveLength(3)
    const consumed = await t.consume(7)
    expect(new Set(consumed.map((c) => c.message.key!.toString()))).toEqual(new Set(starts.map((s) => s.org_id)))
  })

  it('overlapping windows and a repeated run produce the same event ids', async () => {
    const t = await setup('overlap')
    const first = json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:40'), '--json']))
    const second = json(await t.fa(['produce', 'onboarding', '--since', at('10:20'), '--until', at('11:00'), '--json']))
    const again = json(await t.fa(['produce', 'onboarding', '--since', at('10:20'), '--until', at('11:00'), '--json']))
    expect([first.events, second.events, again.events]).toEqual([4, 4, 4])
    // The second run continues the first: the checkpoint moves; the repeat leaves it.
    expect(second.checkpoint).toMatchObject({
      previous: '2024-05-01T10:40:00.000Z',
      current: '2024-05-01T11:00:00.000Z',
      advanced: true,
    })
    expect(again.checkpoint).toMatchObject({current: '2024-05-01T11:00:00.000Z', advanced: false})

    const consumed = await t.consume(12)
    const ids = new Map<string, Set<string>>()
    for (const {message} of consumed) {
      const key = message.key!.toString()
      ids.set(key, (ids.get(key) ?? new Set()).add(JSON.parse(message.value!.toString()).eventId))
    }
    // org-1 … org-6, each with one id however often it was produced.
    expect([...ids.keys()].sort()).toEqual(['org-1', 'org-2', 'org-3', 'org-4', 'org-5', 'org-6'])
    for (const row of starts.slice(0, 6)) expect([...ids.get(row.org_id)!]).toEqual([idOf(row)])
    expect(consumed.filter((c) => c.message.key!.toString() === 'org-3')).toHaveLength(3)
  })

  it('--since checkpoint resumes exactly where the last successful run ended; a failed run leaves it', async () => {
    const t = await setup('checkpoint')
    const none = await t.fa(['produce', 'onboarding', '--since', 'checkpoint'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(
      /^Error: producer "onboarding" has no checkpoint in \S+checkpoints yet \(run it once with an explicit --since/,
    )
    expect(bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(0)

    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    // The next run fails reading page 2, after page 1 (org-4, org-5) was produced.
    proxy.failPagesAfter = 1
    const failed = await t.fa([
      'produce',
      'onboarding',
      '--since',
      'checkpoint',
      '--grace',
      '0',
      '--until',
      at('11:10'),
      '--page-size',
      '2',
    ])
    expect(failed.code).toBe(4)
    expect(failed.stderr).toMatch(pageFailed('Not found: Job \\S+'))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    proxy.failPagesAfter = undefined
    const resumed = json(
      await t.fa([
        'produce',
        'onboarding',
        '--since',
        'checkpoint',
        '--grace',
        '0',
        '--until',
        at('11:10'),
        '--page-size',
        '2',
        '--json',
      ]),
    )
    expect(resumed.window).toEqual({since: '2024-05-01T10:30:00.000Z', until: '2024-05-01T11:10:00.000Z'})
    expect(resumed.events).toBe(4)
    expect(resumed.checkpoint).toMatchObject({
      previous: '2024-05-01T10:30:00.000Z',
      current: '2024-05-01T11:10:00.000Z',
      advanced: true,
    })
    expect(await t.checkpoint()).toBe('2024-05-01T11:10:00.000Z')

    // No gap: every start is on the topic, the repeats of the failed run with the same ids.
    const consumed = await t.consume(3 + 2 + 4)
    expect(await recordCount(kafka, [t.topic])).toBe(9)
    const seen = consumed.map(({message}) => JSON.parse(message.value!.toString()) as {orgId: string; eventId: string})
    expect(new Set(seen.map((e) => e.orgId))).toEqual(new Set(starts.map((s) => s.org_id)))
    for (const event of seen) expect(event.eventId).toBe(idOf(starts.find((s) => s.org_id === event.orgId)!))

    // Caught up: nothing to query, success.
    const idle = json(await t.fa(['produce', 'onboarding', '--since', 'checkpoint', '--until', at('11:10'), '--json']))
    expect(idle).toMatchObject({
      rows: 0,
      events: 0,
      jobId: null,
      checkpoint: {advanced: false, current: '2024-05-01T11:10:00.000Z'},
    })
  })

  it('a dropped connection mid-results: one short line naming the page and the job, and the checkpoint stays', async () => {
    const t = await setup('dropped')
    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    proxy.failPagesAfter = 1
    proxy.drop = true
    const failed = await t.fa([
      'produce',
      'onboarding',
      '--since',
      'checkpoint',
      '--until',
      at('11:10'),
      '--page-size',
      '2',
    ])
    expect(failed.code).toBe(4)
    expect(failed.stderr).toMatch(pageFailed('[^;]+'))
    expect(failed.stderr.length).toBeLessThan(200)
    expect(failed.stderr).not.toMatch(/http|pageToken/)
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')
  })

  it('rows that reach BigQuery after a run are produced by the next one: it re-reads the grace before the checkpoint', async () => {
    const t = await setup('grace')
    const rows: Array<Record<string, unknown>> = [...starts]
    bigquery.setHandler(onboardingTable({rows}))
    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    // Loaded after that run, with an event time a microsecond before its checkpoint.
    const late = {...starts[0]!, org_id: 'org-late', org_name: 'Late', started_at: '2024-05-01T10:29:59.999999Z'}
    rows.push(late)
    const next = json(await t.fa(['produce', 'onboarding', '--since', 'checkpoint', '--until', at('10:50'), '--json']))
    expect(next).toMatchObject({
      window: {since: '2024-05-01T10:15:00.000Z', until: '2024-05-01T10:50:00.000Z'},
      grace: '15m',
      // org-3 (10:20) again, with its id; org-late; org-4, org-5.
      events: 4,
      checkpoint: {advanced: true, current: '2024-05-01T10:50:00.000Z'},
    })
    const consumed = await t.consume(3 + 4)
    const keys = consumed.map((c) => c.message.key!.toString())
    expect(keys.filter((k) => k === 'org-late')).toHaveLength(1)
    expect(keys.filter((k) => k === 'org-3')).toHaveLength(2)

    // The grace per producer in the config, and --grace over it.
    writeFileSync(t.configFile, readFileSync(t.configFile, 'utf8') + 'producers:\n  grace:\n    onboarding: 1h\n')
    const configured = ['produce', 'onboarding', '--since', 'checkpoint', '--until', at('11:10'), '--dry-run', '--json']
    const fromConfig = await t.fa(configured)
    expect(fromConfig.stderr).toMatch(/window 2024-05-01T09:50:00\.000Z → 2024-05-01T11:10:00\.000Z/)
    const fromFlag = await t.fa([...configured, '--grace', '5m'])
    expect(fromFlag.stderr).toMatch(/window 2024-05-01T10:45:00\.000Z → /)
    const bad = await t.fa([...configured, '--grace', 'soon'])
    expect(bad.code).toBe(2)
    // With --json, the error is JSON too.
    expect(JSON.parse(bad.stderr).error.message).toMatch(/^--grace soon: expected a duration/)
    const explicit = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--grace', '5m', '--dry-run'])
    expect(explicit.code).toBe(2)
    expect(explicit.stderr).toMatch(/^Error: --grace applies only with --since checkpoint/)
  })

  it('refuses a run while another one of the same producer holds the lock (exit 7)', async () => {
    const t = await setup('lock')
    // A run held up in BigQuery, and a second one started meanwhile.
    let release!: () => void
    bigquery.setHandler(onboardingTable({delay: new Promise<void>((resolve) => (release = resolve))}))
    const first = t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])
    await Promise.race([
      until(() => bigquery.requests.some((r) => r.route === 'jobs.insert')),
      first.then((r) => Promise.reject(new Error(`the first run ended early: ${r.code} ${r.stderr}`))),
    ])
    const second = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])
    release()
    expect(second.code).toBe(7)
    // With --json, the error is JSON on stderr.
    expect(JSON.parse(second.stderr).error).toMatchObject({
      message: expect.stringMatching(
        /^fa produce onboarding is already running \(pid \d+, started \S+ \(\d+ s ago\)\); not starting a second run$/,
      ),
      hint: expect.stringMatching(/^wait for it to finish/),
      exit: 7,
    })
    expect(second.stdout).toBe('')
    expect(json(await first).events).toBe(3)

    // The lock is gone with the run; one held by a live process (this test) refuses again.
    const lock = await acquireLock(
      produceLockFile('onboarding', t.config, {FA_LOCK_DIR: path.join(dir, 'locks')}),
      'test',
    )
    try {
      const refused = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30')])
      expect(refused.code).toBe(7)
      expect(refused.stderr).toContain(`pid ${process.pid}`)
    } finally {
      await lock.release()
    }

    // A lock left by a process that is gone is taken over.
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', ''])
      child.on('exit', () => resolve(child.pid!))
    })
    const file = produceLockFile('onboarding', t.config, {FA_LOCK_DIR: path.join(dir, 'locks')})
    writeFileSync(
      file,
      JSON.stringify({
        pid: gone,
        host: hostname(),
        startedAt: new Date().toISOString(),
        token: 'stale',
        what: 'crashed',
      }),
    )
    expect(
      json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])).events,
    ).toBe(3)
  })

  it('SIGTERM while BigQuery runs: exit 130, lock released at once, nothing produced, no checkpoint', async () => {
    const t = await setup('sigterm')
    let release!: () => void
    bigquery.setHandler(onboardingTable({delay: new Promise<void>((resolve) => (release = resolve))}))
    const lockDir = path.join(dir, 'locks')
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'bin/run.js'),
        'produce',
        'onboarding',
        '--since',
        at('10:00'),
        '--until',
        at('10:30'),
        '--config',
        t.configFile,
      ],
      {
        cwd: root,
        env: {...process.env, NO_COLOR: '1', ...bigquery.env, FA_LOCK_DIR: lockDir},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await Promise.race([
      until(() => bigquery.requests.some((r) => r.route === 'jobs.insert')),
      exited.then((code) => Promise.reject(new Error(`fa ended early: ${code} ${stderr}`))),
    ])
    const file = produceLockFile('onboarding', t.config, {FA_LOCK_DIR: lockDir})
    expect(existsSync(file)).toBe(true)
    child.kill('SIGTERM')
    // The lock goes before the query answers: the next cron run is not refused.
    await until(() => !existsSync(file))
    release()
    expect(await exited).toBe(130)
    expect(stderr).toBe('interrupted: stopped before the end of the query; the checkpoint was not advanced\n')
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })

  it('--dry-run prints the free estimate only; --preview N runs the billed query and shows N rows; nothing is produced', async () => {
    const t = await setup('dry-run')
    const handler = onboardingTable()
    // The estimate is an upper bound; the real job processes less (and stays under the cap).
    bigquery.setHandler(async (sql, params, context) => ({
      ...(await handler(sql, params, context)),
      ...(context.dryRun ? {bytesProcessed: 2n ** 39n} : {}),
    }))

    const human = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--dry-run'])
    expect(human.stderr).toBe('')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(
      'BigQuery would process 549755813888 bytes (512.0 GiB): a run bills about $3.13 at $6.25/TiB (cap: 1000000000 bytes (953.7 MiB)); this estimate is free',
    )
    expect(human.stdout).not.toMatch(/^→ /m)
    expect(human.stdout).toMatch(/^dry run: estimate only; nothing was queried or produced/m)
    expect(bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(1)

    const window = ['--since', at('10:00'), '--until', at('10:30')]
    const preview = await t.fa(['produce', 'onboarding', ...window, '--preview', '2'])
    expect(preview.code).toBe(0)
    expect(preview.stdout).toContain(
      'the preview runs the query now and bills that, showing the events of at most 2 rows',
    )
    expect(preview.stdout).toMatch(
      new RegExp(`^→ ${t.topic.replaceAll('.', '\\.')} org-1 \\{"eventId":"${idOf(starts[0]!)}"`, 'm'),
    )
    expect(preview.stdout).toMatch(/^preview: 2 rows \(at most 2\) would give 2 events for \S+; nothing was produced$/m)

    const lines = await t.fa(['produce', 'onboarding', ...window, '--preview', '5', '--json'])
    expect(lines.code).toBe(0)
    const records = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records.map((r) => [r.topic, r.key, r.value.eventId])).toEqual(
      starts.slice(0, 3).map((row) => [t.topic, row.org_id, idOf(row)]),
    )
    expect(lines.stderr).toContain('BigQuery would process 549755813888 bytes')

    const inserts = bigquery.requests.filter((r) => r.route === 'jobs.insert')
    expect(inserts.map((r) => r.body.configuration.dryRun ?? false)).toEqual([true, true, false, true, false])
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })

  it('missing credentials: exit 4 with a one-line fix; nothing produced, no checkpoint', async () => {
    const t = await setup('credentials')
    const result = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30')], {
      GOOGLE_APPLICATION_CREDENTIALS: '',
    })
    expect(result.code).toBe(4)
    expect(result.stderr).toBe(
      'Error: no Google credentials found for BigQuery (run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)\n',
    )
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })

  it('a topic that does not exist: exit 5 before any query', async () => {
    const t = await setup('missing-topic')
    writeFileSync(
      t.configFile,
      readFileSync(t.configFile, 'utf8').replace(`onboarding: ${t.topic}`, `onboarding: ${t.topic}-missing`),
    )
    const result = await t.fa(['produce', 'onboarding', '--since', '1h'])
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: topic ${t.topic.replaceAll('.', '\\.')}-missing does not exist on \\S+; nothing was queried or produced \\(create them first`,
      ),
    )
    expect(bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(0)
  })
}, 60_000)

async function until(condition: () => boolean, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

interface FaultProxy {
  endpoint: string
  /** Pages served before getQueryResults fails (404 job not found); undefined: never. */
  failPagesAfter: number | undefined
  /** Fail by dropping the connection instead of answering 404. */
  drop: boolean
  close(): Promise<void>
}

/** Forwards to the BigQuery test server; fails results pages after `failPagesAfter` pages of a job. */
async function startFaultProxy(target: string): Promise<FaultProxy> {
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
