// The BigQuery half of `fa produce`: the real @google-cloud/bigquery client, authenticated with
// real ADC, against the REST test server in test/support/bigquery-server.ts.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi} from 'vitest'

import {createBigQueryClient, type BigQuerySettings} from '../../../src/lib/bigquery/client.js'
import {NamedQuery} from '../../../src/lib/bigquery/query.js'
import {FaError} from '../../../src/lib/errors.js'
import onboarding from '../../../src/lib/produce/onboarding.js'
import {defineProducer, eventIdFor, type ProducedEvent} from '../../../src/lib/produce/producer.js'
import {producerQuery} from '../../../src/lib/produce/query.js'
import {findProducer, loadProducers} from '../../../src/lib/produce/registry.js'
import {
  BigQueryFault,
  startBigQueryServer,
  type BigQueryServer,
  type Field,
  type QueryResult,
  type SentParam,
} from '../../support/bigquery-server.js'
import {root} from '../../support/cli.js'
import {onboardingSchema, onboardingStarts} from '../../support/onboarding-rows.js'

let server: BigQueryServer

beforeAll(async () => {
  server = await startBigQueryServer()
})
afterAll(() => server.close())

function useAdc(target: BigQueryServer): void {
  for (const [name, value] of Object.entries(target.env)) vi.stubEnv(name, value)
  vi.stubEnv('BIGQUERY_EMULATOR_HOST', undefined)
}

beforeEach(() => {
  useAdc(server)
  server.setHandler(() => ({schema: [], rows: []}))
  server.requests.length = 0
})
afterEach(() => {
  vi.unstubAllEnvs()
})

function settings(overrides: Partial<BigQuerySettings> = {}, target = server): BigQuerySettings {
  return {
    projectId: target.projectId,
    location: 'EU',
    apiEndpoint: target.endpoint,
    maximumBytesBilled: 1_000_000_000n,
    pricePerTiB: 6.25,
    ...overrides,
  }
}

function query(sql: string, overrides: Partial<BigQuerySettings> = {}, pageSize?: number): NamedQuery {
  const config = settings(overrides)
  return new NamedQuery(createBigQueryClient(config), config, {name: 'test', sql, params: {}, pageSize})
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

async function failure(promise: Promise<unknown>): Promise<FaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(FaError)
  return error as FaError
}

/** The warehouse: onboarding starts (org-3 without a name), filtered by the query's @since/@until like the real SQL. */
const starts = onboardingStarts({nullName: 2})

function onboardingTable(extra: Partial<QueryResult> = {}) {
  return (_sql: string, params: Record<string, SentParam>): QueryResult => {
    const since = Date.parse(params.since!.value)
    const until = Date.parse(params.until!.value)
    const rows = starts.filter((row) => row.started_at.getTime() >= since && row.started_at.getTime() < until)
    return {schema: onboardingSchema, rows, bytesProcessed: 5_000_000, ...extra}
  }
}

async function produce(window: {since: Date; until: Date}, pageSize?: number): Promise<ProducedEvent[]> {
  const config = settings()
  const named = await producerQuery(onboarding, {
    client: createBigQueryClient(config),
    settings: config,
    window,
    pageSize,
  })
  const run = await named.run()
  const events: ProducedEvent[] = []
  for await (const row of run.rows()) {
    const result = onboarding.event(row)
    if (!result.ok) throw new Error(result.reason)
    events.push(result.event)
  }
  return events
}

describe('query jobs', () => {
  it('sends @since/@until as TIMESTAMP parameters, with location, labels and the bytes cap', async () => {
    server.setHandler(onboardingTable())
    const events = await produce({since: new Date('2024-05-01T10:00:00Z'), until: new Date('2024-05-01T10:29:59.250Z')})
    expect(events.map((e) => e.key)).toEqual(['org-1', 'org-2', 'org-3'])

    const [insert, ...rest] = server.requests.filter((r) => r.route === 'jobs.insert')
    expect(rest).toHaveLength(0)
    const {configuration, jobReference} = insert!.body
    expect(configuration.query.queryParameters).toEqual([
      {name: 'since', parameterType: {type: 'TIMESTAMP'}, parameterValue: {value: '2024-05-01T10:00:00.000Z'}},
      {name: 'until', parameterType: {type: 'TIMESTAMP'}, parameterValue: {value: '2024-05-01T10:29:59.250Z'}},
    ])
    expect(configuration.query).toMatchObject({
      parameterMode: 'named',
      useLegacySql: false,
      maximumBytesBilled: '1000000000',
    })
    // The values travel as parameters only.
    expect(configuration.query.query).toContain('started_at >= @since')
    expect(configuration.query.query).not.toContain('2024')
    expect(configuration.labels).toEqual({app: 'fa', producer: 'onboarding'})
    expect(configuration.dryRun).toBeUndefined()
    expect(jobReference).toMatchObject({projectId: server.projectId, location: 'EU'})
    expect(jobReference.jobId).toMatch(/^fa_onboarding_/)

    // Every call after it asks in the job's location, authenticated through ADC's token refresh.
    const reads = server.requests.filter((r) => r.route === 'jobs.getQueryResults')
    expect(reads.length).toBeGreaterThan(0)
    for (const read of reads) expect(read.query.location).toBe('EU')
    expect(server.requests.find((r) => r.route === 'token')?.body).toMatchObject({grant_type: 'refresh_token'})
    expect(insert!.headers.authorization).toMatch(/^Bearer access-/)
  })

  it('reads every page in order, fetching the next page only when the rows before it are taken', async () => {
    server.setHandler(onboardingTable({pollsUntilDone: 2}))
    const config = settings()
    const named = await producerQuery(onboarding, {
      client: createBigQueryClient(config),
      settings: config,
      window: {since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z')},
      pageSize: 3,
    })
    const run = await named.run()
    const pageReads = () => server.requests.filter((r) => r.route === 'jobs.getQueryResults')
    const ids: unknown[] = []
    const readsAtRow: number[] = []
    for await (const row of run.rows()) {
      ids.push(row.org_id)
      readsAtRow.push(pageReads().length)
    }
    expect(ids).toEqual(['org-1', 'org-2', 'org-3', 'org-4', 'org-5', 'org-6', 'org-7'])
    // Two reads while the job runs, then one per page of 3.
    expect(readsAtRow).toEqual([3, 3, 3, 4, 4, 4, 5])
    const reads = pageReads()
    expect(reads.map((r) => r.query.maxResults)).toEqual(['3', '3', '3', '3', '3'])
    expect(reads.map((r) => Boolean(r.query.pageToken))).toEqual([false, false, false, true, true])
    expect(reads.every((r) => r.query['formatOptions.useInt64Timestamp'] === 'true')).toBe(true)

    const stats = await run.statistics()
    expect(stats).toMatchObject({
      jobId: run.jobId,
      location: 'EU',
      bytesProcessed: 5_000_000n,
      bytesBilled: 10_485_760n,
      cacheHit: false,
    })
    expect(stats.cost).toBeCloseTo((10_485_760 / 2 ** 40) * 6.25, 12)
    expect(server.requests.at(-1)).toMatchObject({route: 'jobs.get', query: {location: 'EU'}})
  })

  it('converts wrapped types to plain JSON, column by column', async () => {
    const schema: Field[] = [
      {name: 'ts_micros', type: 'TIMESTAMP'},
      {name: 'ts_millis', type: 'TIMESTAMP'},
      {name: 'ts_seconds', type: 'TIMESTAMP'},
      {name: 'day', type: 'DATE'},
      {name: 'local', type: 'DATETIME'},
      {name: 'clock', type: 'TIME'},
      {name: 'small', type: 'INTEGER'},
      {name: 'huge', type: 'INTEGER'},
      {name: 'price', type: 'NUMERIC'},
      {name: 'tiny', type: 'BIGNUMERIC'},
      {name: 'ratio', type: 'FLOAT'},
      {name: 'nan', type: 'FLOAT'},
      {name: 'flag', type: 'BOOLEAN'},
      {name: 'raw', type: 'BYTES'},
      {name: 'place', type: 'GEOGRAPHY'},
      {name: 'doc', type: 'JSON'},
      {name: 'nothing', type: 'STRING'},
      {name: 'counts', type: 'INTEGER', mode: 'REPEATED'},
      {
        name: 'owner',
        type: 'RECORD',
        fields: [
          {name: 'email', type: 'STRING'},
          {name: 'since', type: 'DATE'},
          {
            name: 'logins',
            type: 'RECORD',
            mode: 'REPEATED',
            fields: [
              {name: 'at', type: 'TIMESTAMP'},
              {name: 'seats', type: 'INTEGER'},
            ],
          },
        ],
      },
    ]
    server.setHandler(() => ({
      schema,
      rows: [
        {
          ts_micros: '2024-05-01T10:00:00.123456Z',
          ts_millis: '2024-05-01T10:00:00.123Z',
          ts_seconds: new Date('2024-05-01T10:00:00Z'),
          day: '2024-05-01',
          local: '2024-05-01T10:00:00.5',
          clock: '10:00:00',
          small: 42,
          huge: 9007199254740993n,
          price: '12345678901234567890.123456789',
          tiny: '0.00000000000000000000000000000000000001',
          ratio: 0.25,
          nan: NaN,
          flag: true,
          raw: Buffer.from('héllo'),
          place: 'POINT(1 2)',
          doc: {a: [1, 'b']},
          nothing: null,
          counts: [1, 2, 3],
          owner: {email: 'a@example.com', since: '2020-01-31', logins: [{at: '2024-05-01T09:00:00Z', seats: 3}]},
        },
      ],
    }))
    const run = await query('SELECT * FROM `analytics.types`').run()
    expect(await collect(run.rows())).toEqual([
      {
        ts_micros: '2024-05-01T10:00:00.123456Z',
        ts_millis: '2024-05-01T10:00:00.123Z',
        ts_seconds: '2024-05-01T10:00:00.000Z',
        day: '2024-05-01',
        local: '2024-05-01T10:00:00.5',
        clock: '10:00:00',
        small: 42,
        huge: '9007199254740993',
        price: '12345678901234567890.123456789',
        tiny: '0.00000000000000000000000000000000000001',
        ratio: 0.25,
        nan: 'NaN',
        flag: true,
        raw: Buffer.from('héllo').toString('base64'),
        place: 'POINT(1 2)',
        doc: {a: [1, 'b']},
        nothing: null,
        counts: [1, 2, 3],
        owner: {email: 'a@example.com', since: '2020-01-31', logins: [{at: '2024-05-01T09:00:00.000Z', seats: 3}]},
      },
    ])
  })

  it('dry run reports the bytes the query would process and their cost, without running it', async () => {
    server.setHandler(onboardingTable({bytesProcessed: 2n ** 39n}))
    const config = settings()
    const named = await producerQuery(onboarding, {
      client: createBigQueryClient(config),
      settings: config,
      window: {since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z')},
    })
    expect(await named.dryRun()).toEqual({bytesProcessed: 2n ** 39n, cost: 3.125, maximumBytesBilled: 1_000_000_000n})
    expect(server.requests.map((r) => r.route)).toEqual(['token', 'jobs.insert'])
    expect(server.requests[1]!.body.configuration).toMatchObject({
      dryRun: true,
      labels: {app: 'fa', producer: 'onboarding'},
    })
  })
})

describe('query errors become one-line FaErrors (exit 4)', () => {
  it('over maximumBytesBilled when the job is created', async () => {
    server.setHandler(() => ({schema: onboardingSchema, rows: [], bytesProcessed: 20_000_000}))
    const error = await failure(
      query('SELECT 1 FROM `analytics.org_onboarding`', {maximumBytesBilled: 1_000_000n}).run(),
    )
    expect(error.message).toBe(
      'BigQuery query "test" would bill 20971520 bytes (20.0 MiB), over the cap of 1000000 bytes (976.6 KiB)',
    )
    expect(error.hint).toContain('bigquery.maximumBytesBilled')
    expect(error.exitCode).toBe(4)
  })

  it('over maximumBytesBilled when the running job fails', async () => {
    server.setHandler(() => ({schema: onboardingSchema, rows: [], bytesProcessed: 20_000_000, pollsUntilDone: 1}))
    const run = await query('SELECT 1 FROM `analytics.org_onboarding`', {maximumBytesBilled: 1_000_000n}).run()
    const error = await failure(collect(run.rows()))
    expect(error.message).toBe(
      'BigQuery query "test" would bill 20971520 bytes (20.0 MiB), over the cap of 1000000 bytes (976.6 KiB)',
    )
    // The job failed: getQueryResults answered with BigQuery's error body.
    expect(server.requests.at(-1)).toMatchObject({route: 'jobs.getQueryResults'})
  })

  it('a missing table, in the run and in the dry run', async () => {
    const message = 'Not found: Table fa-test-project:analytics.org_onboarding was not found in location EU'
    server.setHandler(() => {
      throw new BigQueryFault('notFound', message)
    })
    for (const attempt of [() => query('SELECT 1').run(), () => query('SELECT 1').dryRun()]) {
      const error = await failure(attempt())
      expect(error.message).toBe(`BigQuery query "test": ${message}`)
      expect(error.hint).toContain('bigquery.location')
      expect(error.exitCode).toBe(4)
    }
  })

  it('an invalid query: a parameter the SQL uses but the run does not send', async () => {
    const error = await failure(query('SELECT 1 WHERE x > @since').run())
    expect(error.message).toBe(`BigQuery query "test" is invalid: Query parameter 'since' not found`)
  })

  it('no permission to create jobs (403)', async () => {
    server.setHandler(() => {
      throw new BigQueryFault(
        'accessDenied',
        'Access Denied: Project fa-test-project: User does not have bigquery.jobs.create permission in project fa-test-project.',
      )
    })
    const error = await failure(query('SELECT 1').run())
    expect(error.message).toMatch(/^BigQuery query "test": access denied: Access Denied: Project fa-test-project/)
    expect(error.hint).toContain('roles/bigquery.jobUser')
  })
})

describe('credentials', () => {
  it('none found: says how to log in', async () => {
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', undefined)
    const error = await failure(query('SELECT 1').run())
    expect(error.message).toBe('no Google credentials found for BigQuery')
    expect(error.hint).toContain('gcloud auth application-default login')
    expect(error.exitCode).toBe(4)
    // The client still tried, without a token, and the 401 became the credentials error.
    expect(server.requests.map((r) => [r.route, r.headers.authorization])).toEqual([['jobs.insert', undefined]])
  })

  it('an unreadable GOOGLE_APPLICATION_CREDENTIALS file', async () => {
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', path.join(root, 'no-such-credentials.json'))
    const error = await failure(query('SELECT 1').run())
    expect(error.message).toMatch(
      /^BigQuery credentials: Unable to read the credential file specified by the GOOGLE_APPLICATION_CREDENTIALS/,
    )
    expect(error.message).not.toContain('\n')
  })

  it('no project', () => {
    expect(() => createBigQueryClient(settings({projectId: undefined}), {})).toThrow(FaError)
    expect(createBigQueryClient(settings({projectId: undefined}), {GOOGLE_CLOUD_PROJECT: 'from-env'}).projectId).toBe(
      'from-env',
    )
  })

  it('revoked: a cached access token gets 401, a refresh gets invalid_grant', async () => {
    const revoking = await startBigQueryServer()
    try {
      useAdc(revoking)
      const config = settings({}, revoking)
      const client = createBigQueryClient(config)
      const named = new NamedQuery(client, config, {name: 'test', sql: 'SELECT 1', params: {}})
      await named.run()
      revoking.revokeCredentials()

      const rejected = await failure(named.run())
      expect(rejected.message).toMatch(/^BigQuery rejected the credentials \(401\): /)
      expect(rejected.hint).toContain('gcloud auth application-default login')

      const fresh = new NamedQuery(createBigQueryClient(config), config, {name: 'test', sql: 'SELECT 1', params: {}})
      const refused = await failure(fresh.run())
      expect(refused.message).toBe(
        'Google credentials were rejected: Error code invalid_grant: Token has been expired or revoked.',
      )
      expect(refused.hint).toContain('expired or revoked')
    } finally {
      await revoking.close()
    }
  })
})

describe('event ids', () => {
  it('derive from the producer and the natural key only', () => {
    const id = eventIdFor('onboarding', ['org-1', '2024-05-01T10:00:00.000Z'])
    expect(id).toMatch(/^onboarding-[0-9a-f]{32}$/)
    expect(eventIdFor('onboarding', ['org-1', '2024-05-01T10:00:00.000Z'])).toBe(id)
    expect(eventIdFor('usage', ['org-1', '2024-05-01T10:00:00.000Z'])).not.toBe(id)
    expect(eventIdFor('onboarding', ['org-1', '2024-05-01T10:00:00.001Z'])).not.toBe(id)
    expect(eventIdFor('x', ['a|b'])).not.toBe(eventIdFor('x', ['a', 'b']))
  })

  it('overlapping windows and repeated runs give the same ids for the same rows', async () => {
    server.setHandler(onboardingTable())
    const first = await produce({since: new Date('2024-05-01T10:00:00Z'), until: new Date('2024-05-01T10:40:00Z')})
    const second = await produce({since: new Date('2024-05-01T10:20:00Z'), until: new Date('2024-05-01T11:00:00Z')})
    const again = await produce({since: new Date('2024-05-01T10:20:00Z'), until: new Date('2024-05-01T11:00:00Z')})
    expect(first.map((e) => e.key)).toEqual(['org-1', 'org-2', 'org-3', 'org-4'])
    expect(second.map((e) => e.key)).toEqual(['org-3', 'org-4', 'org-5', 'org-6'])
    expect(second.slice(0, 2)).toEqual(first.slice(2))
    expect(again).toEqual(second)
    expect(new Set([...first, ...second].map((e) => e.eventId)).size).toBe(6)

    expect(first[2]).toEqual({
      eventId: eventIdFor('onboarding', ['org-3', '2024-05-01T10:20:00.000Z']),
      key: 'org-3',
      // org_name is NULL: left out, not null.
      value: {
        eventId: first[2]!.eventId,
        eventType: 'onboarding_started',
        orgId: 'org-3',
        plan: 'enterprise',
        region: 'eu-west',
        startedAt: '2024-05-01T10:20:00.000Z',
      },
    })
  })

  it('a row the schema refuses is reported, not produced', () => {
    expect(
      onboarding.event({org_id: '', org_name: 'x', plan: null, region: null, started_at: '2024-05-01T10:00:00.000Z'}),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^producer "onboarding": row org_id: /),
    })
  })
})

describe('producers', () => {
  let dir: string

  beforeAll(() => {
    // Under the project so the module's `import 'zod'` resolves, as in a user's checkout.
    mkdirSync(path.join(root, 'node_modules/.cache'), {recursive: true})
    dir = mkdtempSync(path.join(root, 'node_modules/.cache/fa-producers-'))
    writeFileSync(
      path.join(dir, 'usage.mjs'),
      `import {z} from 'zod'
export default {
  name: 'usage-crossed',
  description: 'orgs whose usage crossed a line',
  sql: new URL('./usage.sql', import.meta.url),
  params: ['since'],
  topic: 'usage',
  eventType: 'usage_crossed',
  row: z.object({org_id: z.string()}),
  naturalKey: (row) => [row.org_id],
  toEvent: (row) => ({key: row.org_id, value: {orgId: row.org_id}}),
}
`,
    )
    writeFileSync(path.join(dir, 'usage.sql'), 'SELECT org_id FROM `analytics.usage` WHERE crossed_at >= @since\n')
    writeFileSync(path.join(dir, 'not-a-producer.mjs'), 'export default {name: "x"}\n')
  })
  afterAll(() => rmSync(dir, {recursive: true, force: true}))

  it('loads user modules next to the built-ins; their SQL file is read at query time', async () => {
    const producers = await loadProducers({modules: ['usage.mjs'], dir})
    expect(producers.map((p) => p.name)).toEqual(['onboarding', 'usage-crossed'])
    const usage = await findProducer('usage-crossed', {modules: ['usage.mjs'], dir})
    server.setHandler(() => ({schema: [{name: 'org_id', type: 'STRING'}], rows: [{org_id: 'org-9'}]}))
    const config = settings()
    const window = {since: new Date('2024-05-01T00:00:00Z'), until: new Date('2024-05-02T00:00:00Z')}
    const run = await (
      await producerQuery(usage, {client: createBigQueryClient(config), settings: config, window})
    ).run()
    const [row] = await collect(run.rows())
    expect(usage.event(row!)).toEqual({
      ok: true,
      event: {
        eventId: eventIdFor('usage-crossed', ['org-9']),
        key: 'org-9',
        value: {eventId: eventIdFor('usage-crossed', ['org-9']), eventType: 'usage_crossed', orgId: 'org-9'},
      },
    })
    // Only the parameter the producer declares is sent.
    const insert = server.requests.find((r) => r.route === 'jobs.insert')!
    expect(insert.body.configuration.query.queryParameters.map((p: {name: string}) => p.name)).toEqual(['since'])
    expect(insert.body.configuration.labels).toEqual({app: 'fa', producer: 'usage-crossed'})
  })

  it('refuses modules and specs that are not producers', async () => {
    await expect(loadProducers({modules: ['not-a-producer.mjs'], dir})).rejects.toThrow(
      /not-a-producer\.mjs: the default export is not a producer \(missing description, sql/,
    )
    await expect(loadProducers({modules: ['missing.mjs'], dir})).rejects.toMatchObject({
      message: expect.stringMatching(/cannot load .*missing\.mjs/),
      hint: 'check producers.modules in the config',
    })
    await expect(findProducer('nope', {modules: [], dir})).rejects.toMatchObject({
      message: 'unknown producer "nope"',
      hint: 'known: onboarding',
    })
    const spec = {...onboarding, params: ['since'] as const}
    expect(() => defineProducer(spec)).toThrow(
      'producer "onboarding": the SQL uses @until but params does not list "until"',
    )
    expect(() => defineProducer({...onboarding, name: 'Onboarding'})).toThrow(/lowercase/)
  })
})
