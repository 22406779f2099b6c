import {existsSync} from 'node:fs'
import {request} from 'node:http'
import os from 'node:os'
import path from 'node:path'

import {FaError} from '../errors.js'
import {LOGIN_HINT} from './client.js'

/**
 * Fails at once, with the one-line fix, when Google's client would find no credentials: no
 * GOOGLE_APPLICATION_CREDENTIALS, no gcloud application-default file, and no metadata server
 * answering within `probeMs` (the client's own detection takes 15 s or more off Google Cloud,
 * then fails with a DNS error). A file that is named but bad is left to the client to report.
 */
export async function requireCredentials(env: NodeJS.ProcessEnv = process.env, probeMs = 1_000): Promise<void> {
  if (env.GOOGLE_APPLICATION_CREDENTIALS) return
  const gcloud = env.CLOUDSDK_CONFIG ?? path.join(env.APPDATA ?? path.join(os.homedir(), '.config'), 'gcloud')
  if (existsSync(path.join(gcloud, 'application_default_credentials.json'))) return
  if (env.METADATA_SERVER_DETECTION !== 'none' && (await metadataServerAnswers(env, probeMs))) return
  throw new FaError('no Google credentials found for BigQuery', {exit: 'source', hint: LOGIN_HINT})
}

/** Whether a Google Cloud metadata server answers (by address: no DNS lookup to wait for). */
function metadataServerAnswers(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<boolean> {
  const [host, port] = (env.GCE_METADATA_HOST ?? env.GCE_METADATA_IP ?? '169.254.169.254').split(':')
  return new Promise((resolve) => {
    const req = request(
      {
        host,
        port,
        path: '/computeMetadata/v1/project/project-id',
        headers: {'Metadata-Flavor': 'Google'},
        timeout: timeoutMs,
      },
      (res) => {
        res.resume()
        resolve(res.headers['metadata-flavor'] === 'Google')
      },
    )
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}
