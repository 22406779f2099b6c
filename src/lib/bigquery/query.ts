import type {BigQuery, Job, Query} from '@google-cloud/bigquery'

import {FaError} from '../errors.js'
import type {JsonObject} from '../records/record.js'
import {bigQueryError, type BigQuerySettings} from './client.js'
import {rowToJson} from './convert.js'

export interface QueryRequest {
  /** Names the query in errors and in the job's `producer` label (lowercase, digits, `_`, `-`). */
  name: string
  sql: string
  /** Named parameters, sent as TIMESTAMP (`@since`, `@until`); never pasted into the SQL. */
  params: Record<string, Date>
  /** Rows per jobs.getQueryResults page (maxResults); 1000 by default. */
  pageSize?: number
}

export interface DryRun {
  bytesProcessed: bigint
  /** bytesProcessed at `bigquery.pricePerTiB`. */
  cost: number
  /** The real run fails when it would bill more than this. */
  maximumBytesBilled: bigint
}

export interface QueryStatistics {
  jobId: string
  location: string
  bytesProcessed: bigint
  bytesBilled: bigint
  /** bytesBilled at `bigquery.pricePerTiB`. */
  cost: number
  cacheHit: boolean
}

const TiB = 2 ** 40

/**
 * A named, parameterized query as a job with the configured location, labels
 * `{app: 'fa', producer: name}` and maximumBytesBilled cap. Every failure is a FaError.
 */
export class NamedQuery {
  constructor(
    private readonly client: BigQuery,
    readonly settings: BigQuerySettings,
    readonly request: QueryRequest,
  ) {}

  /** BigQuery's dry run: what the query would process, without running it. */
  async dryRun(): Promise<DryRun> {
    try {
      const [job] = await this.client.createQueryJob(this.job(true))
      const bytesProcessed = BigInt(job.metadata?.statistics?.totalBytesProcessed ?? 0)
      return {
        bytesProcessed,
        cost: cost(this.settings, bytesProcessed),
        maximumBytesBilled: this.settings.maximumBytesBilled,
      }
    } catch (error) {
      throw failure(this.settings, this.request, error)
    }
  }

  /** Starts the query job (jobs.insert); read it with `rows()`. */
  async run(): Promise<QueryRun> {
    try {
      const [job] = await this.client.createQueryJob(this.job(false))
      return new QueryRun(job, this.settings, this.request)
    } catch (error) {
      throw failure(this.settings, this.request, error)
    }
  }

  private job(dryRun: boolean): Query {
    const {name, sql, params} = this.request
    return {
      query: sql,
      ...(Object.keys(params).length > 0 ? {params} : {}),
      location: this.settings.location,
      labels: {app: 'fa', producer: name},
      maximumBytesBilled: this.settings.maximumBytesBilled.toString(),
      jobPrefix: `fa_${name}_`,
      ...(dryRun ? {dryRun} : {}),
    }
  }
}

/** A started query job. */
export class QueryRun {
  readonly jobId: string
  readonly location: string

  constructor(
    private readonly job: Job,
    private readonly settings: BigQuerySettings,
    private readonly request: QueryRequest,
  ) {
    this.jobId = job.id!
    this.location = job.location ?? settings.location
  }

  /**
   * The result rows as plain JSON (see convert.ts), read one jobs.getQueryResults page at a time:
   * the next page is fetched only when the consumer has taken every row of this one.
   */
  async *rows(): AsyncGenerator<JsonObject> {
    let pageToken: string | undefined
    for (let number = 1; ; number++) {
      let page
      try {
        page = await this.job.getQueryResults({
          autoPaginate: false,
          maxResults: this.request.pageSize ?? 1000,
          pageToken,
          wrapIntegers: true,
          parseJSON: true,
        })
      } catch (error) {
        // The first answer carries the job's own failure (over the cap, invalid SQL); later ones only fail to read.
        const jobFailed = number === 1 && (error as {errors?: unknown[]} | undefined)?.errors?.length
        throw jobFailed ? failure(this.settings, this.request, error) : new ResultsPageError(error, number, this.jobId)
      }
      const [rows, , response] = page
      // Still running: BigQuery held the call for its wait time (10 s by default); ask again.
      if (response?.jobComplete === false) {
        number--
        continue
      }
      const fields = response?.schema?.fields ?? []
      for (const row of rows) yield rowToJson(row, fields)
      pageToken = response?.pageToken ?? undefined
      if (!pageToken) return
    }
  }

  /** The finished job's statistics (jobs.get): bytes processed and billed, and the cost. */
  async statistics(): Promise<QueryStatistics> {
    const [metadata] = await this.job.getMetadata().catch((error: unknown) => {
      throw failure(this.settings, this.request, error)
    })
    const stats = metadata.statistics?.query ?? {}
    const bytesBilled = BigInt(stats.totalBytesBilled ?? 0)
    return {
      jobId: this.jobId,
      location: this.location,
      bytesProcessed: BigInt(stats.totalBytesProcessed ?? 0),
      bytesBilled,
      cost: cost(this.settings, bytesBilled),
      cacheHit: stats.cacheHit ?? false,
    }
  }
}

/**
 * A results page that could not be read, in a few words: page N of the job and the reason, never
 * the request URL with its page token that the client's network errors start with.
 */
export class ResultsPageError extends FaError {
  constructor(error: unknown, page: number, jobId: string) {
    const e = (error ?? {}) as {errors?: Array<{message?: string}>; message?: string; code?: unknown}
    const text = e.errors?.find((item) => item.message)?.message ?? e.message ?? String(error)
    let reason = (/reason: (.*)$/s.exec(text)?.[1] ?? text)
      .split('\n')[0]!
      .replace(/https?:\/\/\S+/g, '…')
      .trim()
    if (typeof e.code === 'string' && !reason.includes(e.code)) reason += ` (${e.code})`
    super(`BigQuery: reading page ${page} of job ${jobId} failed: ${reason}`, {exit: 'source', cause: error})
    this.name = 'ResultsPageError'
  }
}

function failure(settings: BigQuerySettings, request: QueryRequest, error: unknown) {
  return bigQueryError(error, {query: request.name, maximumBytesBilled: settings.maximumBytesBilled})
}

function cost(settings: BigQuerySettings, bytes: bigint): number {
  return (Number(bytes) / TiB) * settings.pricePerTiB
}
