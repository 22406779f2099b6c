import {existsSync, readFileSync} from 'node:fs'
import {request} from 'node:http'
import os from 'node:os'
import path from 'node:path'

import {FaError} from '../errors.js'
import {CREDENTIALS_FILE_HINT, LOGIN_HINT} from './client.js'

/**
 * Fails at once, with the one-line fix, when Google's client would find no credentials: no
 * GOOGLE_APPLICATION_CREDENTIALS, no gcloud application-default file, and no metadata server
 * answering within `probeMs` (the client's own detection takes 15 s or more off Google Cloud,
 * then fails with a DNS error). A named file that is not a credentials JSON object fails here too,
 * naming it: the client would say only "Unexpected end of JSON input" of a cut-off one.
 */
export async function requireCredentials(env: NodeJS.ProcessEnv = process.env, probeMs = 1_000): Promise<void> {
  const file = env.GOOGLE_APPLICATION_CREDENTIALS
  if (file) return checkCredentialsFile(file)
  const gcloud = env.CLOUDSDK_CONFIG ?? path.join(env.APPDATA ?? path.join(os.homedir(), '.config'), 'gcloud')
  if (existsSync(path.join(gcloud, 'application_default_credentials.json'))) return
  if (env.METADATA_SERVER_DETECTION !== 'none' && (await metadataServerAnswers(env, probeMs))) return
  throw new FaError('no Google credentials found for BigQuery', {exit: 'source', hint: LOGIN_HINT})
}

function checkCredentialsFile(file: string): void {
  const bad = (why: string) =>
    new FaError(`GOOGLE_APPLICATION_CREDENTIALS (${file}) ${why}`, {exit: 'source', hint: CREDENTIALS_FILE_HINT})
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw bad(`cannot be read: ${(error as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (error) {
    throw bad(`is not JSON (cut off or not a key file?): ${(error as Error).message}`)
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as {type?: unknown}).type !== 'string')
    throw bad('is not a Google credentials file: it has no "type" field')
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
