// A BigQuery REST API v2 test server: the real @google-cloud/bigquery client talks to it through
// `apiEndpoint: server.endpoint`, authenticated through real Application Default Credentials
// (`server.env`). It answers what the client sends for query jobs, in the wire format the real
// service uses: jobs.insert (dry runs, maximumBytesBilled), jobs.get, jobs.getQueryResults
// (maxResults/pageToken pages, jobComplete), error bodies, and the OAuth token refresh.
import {randomBytes, randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** A column as BigQuery describes it (TableFieldSchema). Legacy and standard type names both work. */
export interface Field {
  name: string
  type: string
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED'
  fields?: Field[]
}

/**
 * What a query returns. Rows are plain values by column name: TIMESTAMP as Date or ISO string
 * (microseconds kept), INT64 as bigint/number/string, NUMERIC as string, BYTES as Buffer,
 * DATE/DATETIME/TIME as their string, RECORD as an object, REPEATED as an array.
 */
export interface QueryResult {
  schema: Field[]
  rows?: Array<Record<string, unknown>>
  /** Reported by the dry run and the job; bytes billed derive from it (10 MiB minimum, whole MiB). */
  bytesProcessed?: bigint | number
  /** Status reads (jobs.get, jobs.getQueryResults) that see the job RUNNING before it is DONE. */
  pollsUntilDone?: number
}

/** A query parameter as the client sent it. */
export interface SentParam {
  type: string
  value: string
}

export interface QueryContext {
  dryRun: boolean
  location: string
  labels: Record<string, string>
}

export type QueryHandler = (
  sql: string,
  params: Record<string, SentParam>,
  context: QueryContext,
) => QueryResult | Promise<QueryResult>

const FAULTS = {
  invalid: {code: 400, status: 'INVALID_ARGUMENT'},
  invalidQuery: {code: 400, status: 'INVALID_ARGUMENT'},
  bytesBilledLimitExceeded: {code: 400, status: 'INVALID_ARGUMENT'},
  notFound: {code: 404, status: 'NOT_FOUND'},
  accessDenied: {code: 403, status: 'PERMISSION_DENIED'},
} as const

export type FaultReason = keyof typeof FAULTS

/**
 * Thrown by a handler to fail the query as BigQuery would. A dry run, and `accessDenied` (no
 * permission to create jobs), fail the jobs.insert call itself; otherwise the job is created and
 * fails (DONE with `status.errorResult`), and jobs.getQueryResults answers with the error.
 */
export class BigQueryFault extends Error {
  constructor(
    readonly reason: FaultReason,
    message: string,
  ) {
    super(message)
  }
}

export type Route = 'jobs.insert' | 'jobs.get' | 'jobs.getQueryResults' | 'token' | 'unknown'

export interface RecordedRequest {
  route: Route
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  /** Parsed JSON (or form fields for the token endpoint); undefined for GET. */
  body: any
}

export interface BigQueryServerOptions {
  projectId?: string
  handler?: QueryHandler
}

export interface BigQueryServer {
  /** `http://127.0.0.1:PORT`: the client's `apiEndpoint`. */
  endpoint: string
  projectId: string
  /** Every request, in arrival order. */
  requests: RecordedRequest[]
  /**
   * Environment for real ADC against this server: GOOGLE_APPLICATION_CREDENTIALS (an
   * `external_account_authorized_user` file whose token_url is this server), an empty
   * CLOUDSDK_CONFIG and METADATA_SERVER_DETECTION=none. Unset BIGQUERY_EMULATOR_HOST too.
   */
  env: Record<string, string>
  setHandler(handler: QueryHandler): void
  /** From now on the refresh token gets `invalid_grant` and issued access tokens get 401. */
  revokeCredentials(): void
  close(): Promise<void>
}

interface Job {
  projectId: string
  jobId: string
  location: string
  configuration: any
  result: QueryResult
  pollsLeft: number
  fault?: BigQueryFault
  created: number
  bytesProcessed: bigint
  bytesBilled: bigint
}

const MiB = 1n << 20n
const API = '/bigquery/v2/projects/'

export async function startBigQueryServer(options: BigQueryServerOptions = {}): Promise<BigQueryServer> {
  const projectId = options.projectId ?? 'fa-test-project'
  let handler: QueryHandler = options.handler ?? (() => ({schema: [], rows: []}))
  const requests: RecordedRequest[] = []
  const jobs = new Map<string, Job>()
  const refreshToken = `refresh-${randomUUID()}`
  const accessToken = `access-${randomUUID()}`
  let revoked = false

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => route(req, res, raw))
      // 400, not 500: the client retries 5xx with backoff, which would only slow the failing test.
      .catch((error: unknown) => send(res, 400, errorBody('invalid', `test server: ${(error as Error).stack}`)))
  })

  async function route(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const query = Object.fromEntries(url.searchParams)
    const method = req.method ?? 'GET'
    const match = url.pathname.startsWith(API) ? url.pathname.slice(API.length).split('/') : []
    const [project, collection, id] = match.map(decodeURIComponent)
    const name: Route =
      url.pathname === '/token' && method === 'POST'
        ? 'token'
        : collection === 'jobs' && id === undefined && method === 'POST'
          ? 'jobs.insert'
          : collection === 'jobs' && id && method === 'GET'
            ? 'jobs.get'
            : collection === 'queries' && id && method === 'GET'
              ? 'jobs.getQueryResults'
              : 'unknown'
    const body = name === 'token' ? Object.fromEntries(new URLSearchParams(raw)) : raw ? JSON.parse(raw) : undefined
    requests.push({route: name, method, path: url.pathname, query, headers: req.headers, body})

    if (name === 'token') return token(res, body)
    const auth = req.headers.authorization
    if (!auth)
      return send(
        res,
        401,
        unauthenticated(
          'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          'required',
          'Login Required.',
        ),
      )
    if (revoked || auth !== `Bearer ${accessToken}`)
      return send(
        res,
        401,
        unauthenticated(
          'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
          'authError',
          'Invalid Credentials',
        ),
      )
    if (project !== projectId)
      return send(
        res,
        403,
        errorBody(
          'accessDenied',
          `Access Denied: Project ${project}: User does not have bigquery.jobs.create permission in project ${project}.`,
        ),
      )

    if (name === 'unknown')
      return send(
        res,
        404,
        errorBody(
          'notFound',
          `test server: no route for ${method} ${url.pathname} (jobs.query is not implemented: the fa client does not call it)`,
        ),
      )
    if (name === 'jobs.insert') return insert(res, body)
    const job = jobs.get(`${project}:${id}`)
    // Jobs live in a location: asking in another one (or none, outside US) does not find them.
    if (!job || (query.location ?? 'US') !== job.location)
      return send(res, 404, errorBody('notFound', `Not found: Job ${project}:${id}`))
    if (name === 'jobs.get') {
      poll(job)
      return send(res, 200, jobResource(job))
    }
    results(res, job, query)
  }

  function token(res: ServerResponse, form: Record<string, string>): void {
    if (form.grant_type !== 'refresh_token' || form.refresh_token !== refreshToken || revoked) {
      return send(res, 400, {error: 'invalid_grant', error_description: 'Token has been expired or revoked.'})
    }
    send(res, 200, {
      access_token: accessToken,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
    })
  }

  async function insert(res: ServerResponse, body: any): Promise<void> {
    const configuration = body?.configuration ?? {}
    const reference = body?.jobReference ?? {}
    const location: string = reference.location ?? 'US'
    const dryRun = configuration.dryRun === true
    const config = configuration.query
    if (!config?.query) return send(res, 400, errorBody('invalid', 'Required parameter is missing: query'))
    if (!dryRun && !reference.jobId)
      return send(res, 400, errorBody('invalid', 'Required parameter is missing: jobReference.jobId'))
    const labels: Record<string, string> = configuration.labels ?? {}
    for (const [key, value] of Object.entries(labels)) {
      if (!/^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u.test(key) || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(value)) {
        return send(
          res,
          400,
          errorBody(
            'invalid',
            `Invalid label: ${key}: ${value}. Keys and values may contain only lowercase letters, numeric characters, underscores and dashes, at most 63 characters.`,
          ),
        )
      }
    }
    if (config.maximumBytesBilled !== undefined && !/^\d+$/.test(String(config.maximumBytesBilled))) {
      return send(
        res,
        400,
        errorBody('invalid', `Invalid value for maximumBytesBilled: ${JSON.stringify(config.maximumBytesBilled)}`),
      )
    }
    if (config.useLegacySql !== false && config.queryParameters) {
      return send(res, 400, errorBody('invalidQuery', 'Query parameters cannot be used in Legacy SQL.'))
    }

    let params: Record<string, SentParam>
    let result: QueryResult
    try {
      params = sentParams(config.query, config.queryParameters ?? [])
      result = await handler(config.query, params, {dryRun, location, labels})
    } catch (error) {
      if (!(error instanceof BigQueryFault)) throw error
      if (dryRun || error.reason === 'accessDenied')
        return send(res, FAULTS[error.reason].code, errorBody(error.reason, error.message))
      const job = createJob(reference, location, configuration, {schema: []}, error)
      return send(res, 200, jobResource(job))
    }
    const bytesProcessed = BigInt(result.bytesProcessed ?? 0)
    if (dryRun) {
      return send(res, 200, {
        kind: 'bigquery#job',
        etag: etag(),
        configuration: {...configuration, jobType: 'QUERY'},
        jobReference: {projectId, location},
        statistics: {
          creationTime: String(Date.now()),
          totalBytesProcessed: String(bytesProcessed),
          query: {
            totalBytesProcessed: String(bytesProcessed),
            totalBytesBilled: '0',
            totalBytesProcessedAccuracy: 'PRECISE',
            cacheHit: false,
            statementType: 'SELECT',
            schema: {fields: result.schema},
          },
        },
        status: {state: 'DONE'},
      })
    }
    const job = createJob(reference, location, configuration, result)
    const cap = config.maximumBytesBilled === undefined ? undefined : BigInt(config.maximumBytesBilled)
    if (cap !== undefined && job.bytesBilled > cap) {
      job.fault = new BigQueryFault(
        'bytesBilledLimitExceeded',
        `Query exceeded limit for bytes billed: ${cap}. ${job.bytesBilled} or higher required.`,
      )
    }
    send(res, 200, jobResource(job))
  }

  function createJob(
    reference: any,
    location: string,
    configuration: any,
    result: QueryResult,
    fault?: BigQueryFault,
  ): Job {
    const bytesProcessed = BigInt(result.bytesProcessed ?? 0)
    const job: Job = {
      projectId,
      jobId: reference.jobId,
      location,
      configuration: {...configuration, jobType: 'QUERY'},
      result,
      pollsLeft: result.pollsUntilDone ?? 0,
      fault,
      created: Date.now(),
      bytesProcessed,
      bytesBilled: bytesProcessed === 0n ? 0n : maxBig(10n * MiB, ((bytesProcessed + MiB - 1n) / MiB) * MiB),
    }
    jobs.set(`${projectId}:${job.jobId}`, job)
    return job
  }

  function results(res: ServerResponse, job: Job, query: Record<string, string>): void {
    const reference = {projectId: job.projectId, jobId: job.jobId, location: job.location}
    if (!poll(job))
      return send(res, 200, {
        kind: 'bigquery#getQueryResultsResponse',
        etag: etag(),
        jobReference: reference,
        jobComplete: false,
      })
    // A failed job's results are the job's error, as an HTTP error.
    if (job.fault) return send(res, FAULTS[job.fault.reason].code, errorBody(job.fault.reason, job.fault.message))
    const all = job.result.rows ?? []
    const start = query.pageToken ? decodePageToken(query.pageToken, job) : Number(query.startIndex ?? 0)
    if (start === undefined) return send(res, 400, errorBody('invalid', `Invalid page token: ${query.pageToken}`))
    const size = query.maxResults === undefined ? all.length : Number(query.maxResults)
    const page = all.slice(start, start + size)
    const int64Timestamps = query['formatOptions.useInt64Timestamp'] === 'true'
    const next = start + page.length
    send(res, 200, {
      kind: 'bigquery#getQueryResultsResponse',
      etag: etag(),
      schema: {fields: job.result.schema},
      jobReference: reference,
      totalRows: String(all.length),
      ...(next < all.length ? {pageToken: Buffer.from(`${job.jobId}:${next}`).toString('base64url')} : {}),
      ...(page.length > 0 ? {rows: page.map((row) => encodeRow(row, job.result.schema, int64Timestamps))} : {}),
      totalBytesProcessed: String(job.bytesProcessed),
      jobComplete: true,
      cacheHit: false,
    })
  }

  /** One status read: true once the job is DONE. */
  function poll(job: Job): boolean {
    if (job.pollsLeft === 0) return true
    job.pollsLeft -= 1
    return false
  }

  function jobResource(job: Job): object {
    const done = job.pollsLeft === 0
    const error = job.fault && {reason: job.fault.reason, message: job.fault.message}
    return {
      kind: 'bigquery#job',
      etag: etag(),
      id: `${job.projectId}:${job.location}.${job.jobId}`,
      selfLink: `${endpoint}${API}${job.projectId}/jobs/${job.jobId}?location=${job.location}`,
      user_email: 'fa-test@example.iam.gserviceaccount.com',
      configuration: job.configuration,
      jobReference: {projectId: job.projectId, jobId: job.jobId, location: job.location},
      statistics: {
        creationTime: String(job.created),
        startTime: String(job.created),
        ...(done ? {endTime: String(Date.now())} : {}),
        ...(done && !error
          ? {
              totalBytesProcessed: String(job.bytesProcessed),
              query: {
                totalBytesProcessed: String(job.bytesProcessed),
                totalBytesBilled: String(job.bytesBilled),
                cacheHit: false,
                statementType: 'SELECT',
              },
            }
          : {}),
      },
      status: done ? {state: 'DONE', ...(error ? {errorResult: error, errors: [error]} : {})} : {state: 'RUNNING'},
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fa-bigquery-'))
  const credentialsFile = path.join(dir, 'credentials.json')
  // gcloud's config dir, empty: without GOOGLE_APPLICATION_CREDENTIALS there are no credentials.
  const gcloudConfig = path.join(dir, 'gcloud')
  mkdirSync(gcloudConfig)
  // The kind of file `gcloud auth application-default login --login-config` writes; unlike a
  // service account key, its token_url is configurable, so the token refresh comes here.
  writeFileSync(
    credentialsFile,
    JSON.stringify({
      type: 'external_account_authorized_user',
      audience: '//iam.googleapis.com/locations/global/workforcePools/fa-test/providers/fa-test',
      client_id: 'fa-test-client',
      client_secret: randomBytes(12).toString('hex'),
      refresh_token: refreshToken,
      token_url: `${endpoint}/token`,
    }),
  )

  return {
    endpoint,
    projectId,
    requests,
    env: {
      GOOGLE_APPLICATION_CREDENTIALS: credentialsFile,
      CLOUDSDK_CONFIG: gcloudConfig,
      METADATA_SERVER_DETECTION: 'none',
    },
    setHandler(next) {
      handler = next
    },
    revokeCredentials() {
      revoked = true
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

function sentParams(sql: string, parameters: any[]): Record<string, SentParam> {
  const params: Record<string, SentParam> = {}
  for (const parameter of parameters) {
    const type = parameter.parameterType?.type
    const value = parameter.parameterValue?.value
    if (value === undefined) throw new BigQueryFault('invalidQuery', `Query parameter '${parameter.name}' has no value`)
    if (type === 'TIMESTAMP' && Number.isNaN(Date.parse(value)))
      throw new BigQueryFault(
        'invalidQuery',
        `Invalid TIMESTAMP value for query parameter '${parameter.name}': ${value}`,
      )
    params[parameter.name] = {type, value}
  }
  // Referenced but not sent; `@@` is a system variable, not a parameter.
  for (const [, name] of sql.matchAll(/(?<![@\w])@([A-Za-z_]\w*)/g)) {
    if (name && !(name in params)) throw new BigQueryFault('invalidQuery', `Query parameter '${name}' not found`)
  }
  return params
}

function decodePageToken(token: string, job: Job): number | undefined {
  const [jobId, offset] = Buffer.from(token, 'base64url').toString().split(':')
  return jobId === job.jobId && offset && /^\d+$/.test(offset) ? Number(offset) : undefined
}

function encodeRow(row: Record<string, unknown>, fields: Field[], int64Timestamps: boolean): {f: Array<{v: unknown}>} {
  return {f: fields.map((field) => ({v: encodeCell(row[field.name], field, int64Timestamps)}))}
}

function encodeCell(value: unknown, field: Field, int64Timestamps: boolean): unknown {
  if (value === null || value === undefined) return field.mode === 'REPEATED' ? [] : null
  if (field.mode === 'REPEATED')
    return (value as unknown[]).map((item) => ({v: encodeScalar(item, field, int64Timestamps)}))
  return encodeScalar(value, field, int64Timestamps)
}

/** BigQuery's JSON encoding: every scalar a string, a RECORD an `f` list. */
function encodeScalar(value: unknown, field: Field, int64Timestamps: boolean): unknown {
  switch (field.type) {
    case 'RECORD':
    case 'STRUCT':
      return encodeRow(value as Record<string, unknown>, field.fields ?? [], int64Timestamps)
    case 'TIMESTAMP': {
      const micros = toMicros(value as Date | string)
      // The client asks for int64 microseconds; BigQuery's default is float seconds.
      return int64Timestamps ? String(micros) : (Number(micros) / 1e6).toExponential().replace('e+', 'E')
    }
    case 'BYTES':
      return Buffer.isBuffer(value) ? value.toString('base64') : value
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value)
    case 'FLOAT':
    case 'FLOAT64':
      return Number.isNaN(value)
        ? 'NaN'
        : value === Infinity
          ? 'Infinity'
          : value === -Infinity
            ? '-Infinity'
            : String(value)
    default:
      return String(value)
  }
}

function toMicros(value: Date | string): bigint {
  if (value instanceof Date) return BigInt(value.getTime()) * 1000n
  const match = /^(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(value)
  if (!match) throw new Error(`test server: TIMESTAMP ${value} needs a time zone`)
  const seconds = Date.parse(`${match[1]}${match[3]}`)
  return BigInt(seconds) * 1000n + BigInt((match[2] ?? '').padEnd(6, '0').slice(0, 6))
}

function errorBody(reason: FaultReason, message: string): object {
  const {code, status} = FAULTS[reason]
  return {error: {code, message, errors: [{message, domain: 'global', reason}], status}}
}

function unauthenticated(message: string, reason: string, detail: string): object {
  return {
    error: {
      code: 401,
      message,
      errors: [{message: detail, domain: 'global', reason, location: 'Authorization', locationType: 'header'}],
      status: 'UNAUTHENTICATED',
    },
  }
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, {'content-type': 'application/json; charset=UTF-8'})
  res.end(JSON.stringify(body))
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => resolve(raw))
    req.on('error', reject)
  })
}

function etag(): string {
  return randomBytes(12).toString('base64')
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b
}
