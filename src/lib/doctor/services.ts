import type {LoadedConfig} from '../config/load.js'
import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {RegistryClient} from '../schema/registry.js'
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
  const [{createBigQueryClient}, {NamedQuery}, {requireCredentials}] = await Promise.all([
    import('../bigquery/client.js'),
    import('../bigquery/query.js'),
    import('../bigquery/credentials.js'),
  ])
  const client = createBigQueryClient(config.bigquery, env)
  // As fa produce does: no credentials is the one-line fix at once, not the client's slow search and its warnings.
  await requireCredentials(env)
  await new NamedQuery(client, config.bigquery, {name: 'doctor', sql: 'SELECT 1', params: {}}).dryRun()
  return pass(`project ${project}, location ${config.bigquery.location}: credentials ok, a dry run passed`)
}

/**
 * The Schema Registry line: Confluent's API `GET {url}/subjects` answers with a list, with the
 * basic auth the registry client takes from the config's variables (or the URL); and each subject
 * `formats:` pins fa's own outputs to holds a schema fa can write (or none yet: fa registers its
 * own on the first run). Skipped when no registry is configured.
 */
export async function schemaRegistryCheck(
  config: Config,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Verdict> {
  const {url, usernameEnv, passwordEnv} = config.schemaRegistry
  if (!url) return skip('none configured (schemaRegistry.url or SCHEMA_REGISTRY_URL)')
  const {RegistryClient, RegistryUnavailable} = await import('../schema/registry.js')
  const client = new RegistryClient(url, {username: env[usernameEnv], password: env[passwordEnv], timeoutMs})
  try {
    const subjects = (await client.subjects()).length
    return pass([`${client.url}: ${subjects} subject(s)`, ...(await pinnedOutputs(config, client))].join('; '))
  } catch (error) {
    if (error instanceof FaError) throw error
    throw new FaError((error as Error).message, {
      hint:
        error instanceof RegistryUnavailable
          ? 'check schemaRegistry.url (or SCHEMA_REGISTRY_URL) and the network'
          : 'check that schemaRegistry.url is the Confluent-compatible API (Apicurio: …/apis/ccompat/v7)',
    })
  }
}

/** What the registry holds for the subjects fa's own outputs are pinned to; a FaError for one fa could not write. */
async function pinnedOutputs(config: Config, client: RegistryClient): Promise<string[]> {
  const {pinnedOwnSubjects} = await import('../schema/own-outputs.js')
  const {registeredSchema, unshipped, usableSchema} = await import('../schema/pinned-subject.js')
  const roles = ['slackMessages', 'slackResponses'] as const
  const lines: string[] = []
  for (const {subject, format, fallback} of pinnedOwnSubjects(
    config,
    roles.map((role) => ({role, topic: config.topics[role]})),
  )) {
    const found = await registeredSchema(client, subject)
    if (found) {
      await usableSchema(found, subject, format, fallback)
      lines.push(`${subject}: ${format}, id ${found.id}`)
    } else if (fallback.schema) lines.push(`${subject}: none yet (fa registers its ${format} schema on the first run)`)
    else throw unshipped(subject, format)
  }
  return lines
}
