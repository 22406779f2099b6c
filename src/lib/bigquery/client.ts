import {BigQuery} from '@google-cloud/bigquery'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'

export type BigQuerySettings = Config['bigquery']

export const LOGIN_HINT =
  'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file'
export const CREDENTIALS_FILE_HINT = 'point GOOGLE_APPLICATION_CREDENTIALS at a readable credentials JSON file'

/**
 * A BigQuery client for the configured project and location. Credentials are Application Default
 * Credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the metadata server);
 * `apiEndpoint` only points it at another server (tests).
 */
export function createBigQueryClient(settings: BigQuerySettings, env: NodeJS.ProcessEnv = process.env): BigQuery {
  // Explicit, never guessed from gcloud's config: the project is billed for every query.
  const projectId = settings.projectId ?? env.GOOGLE_CLOUD_PROJECT
  if (!projectId) {
    throw new FaError('no BigQuery project configured', {
      exit: 'source',
      hint: 'set bigquery.projectId in the config or GOOGLE_CLOUD_PROJECT',
    })
  }
  return new BigQuery({
    projectId,
    location: settings.location,
    ...(settings.apiEndpoint ? {apiEndpoint: settings.apiEndpoint} : {}),
  })
}

/** What the client's errors carry: `code` (HTTP status) and BigQuery's `errors[].reason`. */
interface ClientError {
  message?: string
  code?: number | string
  errors?: Array<{reason?: string; message?: string}>
}

/**
 * Turns a client error into a one-line FaError (exit 'source') that says how to fix it.
 * `query` names the query and `maximumBytesBilled` is its cap, for errors about the query itself.
 */
export function bigQueryError(error: unknown, context: {query?: string; maximumBytesBilled?: bigint} = {}): FaError {
  if (error instanceof FaError) return error
  const e = (error ?? {}) as ClientError
  const message = firstLine(e.errors?.find((item) => item.message)?.message ?? e.message ?? String(error))
  const reason = e.errors?.find((item) => item.reason)?.reason
  const about = context.query ? `BigQuery query "${context.query}"` : 'BigQuery'
  const fail = (text: string, hint?: string) => new FaError(text, {exit: 'source', hint, cause: error})

  if (reason === 'bytesBilledLimitExceeded') {
    // "Query exceeded limit for bytes billed: 1000. 10485760 or higher required."
    const required = /(\d+) or higher required/.exec(message)?.[1]
    const cap = context.maximumBytesBilled
    return fail(
      `${about} would bill ${required ? formatBytes(BigInt(required)) : 'more than its cap'}, ` +
        `over the cap of ${cap === undefined ? 'bigquery.maximumBytesBilled' : formatBytes(cap)}`,
      'raise bigquery.maximumBytesBilled in the config, or query a shorter window',
    )
  }
  if (message.includes('Could not load the default credentials'))
    return fail('no Google credentials found for BigQuery', LOGIN_HINT)
  if (message.includes('GOOGLE_APPLICATION_CREDENTIALS'))
    return fail(`BigQuery credentials: ${message}`, CREDENTIALS_FILE_HINT)
  if (message.includes('invalid_grant'))
    return fail(`Google credentials were rejected: ${message}`, `they are expired or revoked: ${LOGIN_HINT}`)
  if (e.code === 401) return fail(`BigQuery rejected the credentials (401): ${message}`, LOGIN_HINT)
  // Other 403s (quotaExceeded, billingNotEnabled, ...) say what they are in their message.
  if (reason === 'accessDenied' || (e.code === 403 && !reason)) {
    return fail(
      `${about}: access denied: ${message}`,
      'grant the credentials roles/bigquery.jobUser on the project and ' +
        'roles/bigquery.dataViewer on the tables the query reads',
    )
  }
  if (reason === 'notFound')
    return fail(`${about}: ${message}`, 'check the table names in the SQL and bigquery.location')
  if (reason === 'invalidQuery') return fail(`${about} is invalid: ${message}`, "check the producer's SQL")
  return fail(`${about} failed: ${message}`)
}

/** `10485760 bytes (10.0 MiB)`: exact for config values, readable for people. */
export function formatBytes(bytes: bigint): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let value = Number(bytes)
  let unit = ''
  for (const next of units) {
    if (value < 1024) break
    value /= 1024
    unit = next
  }
  return unit ? `${bytes} bytes (${value.toFixed(1)} ${unit})` : `${bytes} bytes`
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.trim()
}
