import type {LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {pass, skip, type Verdict} from './check.js'

/**
 * The Slack line of `fa doctor`: `auth.test` with the configured token and the scopes fa send
 * needs. Without a token configured (no variable set, no file) it is skipped with the fix.
 */
export async function slackCheck(
  {config, dir}: LoadedConfig,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Verdict> {
  const {tokenEnv, tokenFile} = config.slack
  if (!env[tokenEnv]?.trim() && !tokenFile)
    return skip(`no bot token (${tokenEnv} not set): fa send needs one`, `export ${tokenEnv}=xoxb-…`)
  // Loaded only here: the other checks never need the Slack client.
  const [{readSlackToken}, {checkAuth, createSlackClient, REQUIRED_SCOPES}] = await Promise.all([
    import('../slack/token.js'),
    import('../slack/client.js'),
  ])
  const {token, source} = await readSlackToken(config.slack, {env, dir})
  const client = createSlackClient(token, {apiUrl: config.slack.apiUrl, timeoutMs})
  const identity = await checkAuth(client, {source})
  return pass(`team ${identity.team} as ${identity.user} (token from ${source}); scopes ${REQUIRED_SCOPES.join(', ')}`)
}

/**
 * The BigQuery line: credentials and project, by a free dry run of `SELECT 1` (it needs a job
 * permission on the project, as every producer run does). Skipped when no producer is set up:
 * no project configured and no producer modules.
 */
export async function bigQueryCheck({config}: LoadedConfig, env: NodeJS.ProcessEnv = process.env): Promise<Verdict> {
  const project = config.bigquery.projectId ?? env.GOOGLE_CLOUD_PROJECT
  if (!project && config.producers.modules.length === 0)
    return skip('no producers configured (bigquery.projectId unset)')
  const [{createBigQueryClient}, {NamedQuery}] = await Promise.all([
    import('../bigquery/client.js'),
    import('../bigquery/query.js'),
  ])
  const client = createBigQueryClient(config.bigquery, env)
  await new NamedQuery(client, config.bigquery, {name: 'doctor', sql: 'SELECT 1', params: {}}).dryRun()
  return pass(`project ${project}, location ${config.bigquery.location}: credentials ok, a dry run passed`)
}

/** The Schema Registry settings, once the config has them (`schemaRegistry.url`, optional basic auth). */
export interface RegistrySettings {
  url: string
  usernameEnv?: string
  passwordEnv?: string
}

/** `schemaRegistry` of the config, if it has that key and a URL in it. */
export function registrySettings(config: object): RegistrySettings | undefined {
  const registry = (config as {schemaRegistry?: Partial<RegistrySettings>}).schemaRegistry
  return typeof registry?.url === 'string' && registry.url ? (registry as RegistrySettings) : undefined
}

/**
 * The Schema Registry line: Confluent's API `GET {url}/subjects` answers with a list (with basic
 * auth from the variables the config names, as Confluent Cloud needs). Skipped when none is configured.
 */
export async function schemaRegistryCheck(
  config: object,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Verdict> {
  const registry = registrySettings(config)
  if (!registry) return skip('none configured')
  const user = registry.usernameEnv ? env[registry.usernameEnv] : undefined
  const password = registry.passwordEnv ? env[registry.passwordEnv] : undefined
  const subjects = await listSubjects(registry.url, {
    timeoutMs,
    auth: user && password ? {user, password} : undefined,
  })
  return pass(`${withoutCredentials(new URL(registry.url))}: ${subjects.length} subject(s)`)
}

/**
 * Confluent Schema Registry API: the registered subjects. Credentials in the URL
 * (`https://key:secret@host`) are basic auth too, and never shown. Throws a one-line error with the fix.
 */
export async function listSubjects(
  address: string,
  options: {timeoutMs: number; auth?: {user: string; password: string}},
): Promise<string[]> {
  const parsed = new URL(address)
  const inUrl = parsed.username
    ? {user: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password)}
    : undefined
  const auth = options.auth ?? inUrl
  const url = withoutCredentials(parsed)
  const headers: Record<string, string> = {accept: 'application/vnd.schemaregistry.v1+json, application/json'}
  if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`
  let response: Response
  try {
    response = await fetch(`${url}/subjects`, {
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    })
  } catch (error) {
    const cause = (error as {cause?: {code?: string}}).cause?.code ?? (error as Error).message
    throw new FaError(`cannot reach ${url}: ${cause}`, {hint: 'check schemaRegistry.url and the network'})
  }
  if (response.status === 401 || response.status === 403)
    throw new FaError(`${url} refused the credentials (HTTP ${response.status})`, {
      hint: 'check the API key and secret of the Schema Registry',
    })
  if (!response.ok)
    throw new FaError(`${url}/subjects answered HTTP ${response.status}`, {
      hint: 'check that schemaRegistry.url is the Schema Registry API (Confluent-compatible)',
    })
  const body: unknown = await response.json().catch(() => undefined)
  if (!Array.isArray(body))
    throw new FaError(`${url}/subjects did not answer a list of subjects`, {
      hint: 'check that schemaRegistry.url is the Schema Registry API (Confluent-compatible)',
    })
  return body.map(String)
}

/** The registry's URL as it may be shown: no credentials, no trailing slash. */
function withoutCredentials(url: URL): string {
  const copy = new URL(url)
  copy.username = ''
  copy.password = ''
  return copy.toString().replace(/\/+$/, '')
}
