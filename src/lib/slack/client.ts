import {LogLevel, WebClient, type WebAPICallResult} from '@slack/web-api'

import type {Config} from '../config/schema.js'
import type {Metrics} from '../metrics/room.js'
import {FaError} from '../errors.js'
import {classifySlackError} from './errors.js'
import {redactToken} from './token.js'

/**
 * A WebClient that never retries on its own: its built-in retries re-post after network errors
 * (double posts) and pause every channel on one 429. The Deliverer retries per channel instead.
 */
export function createSlackClient(
  token: string,
  settings: Pick<Config['slack'], 'apiUrl' | 'timeoutMs'>,
  {logLevel = LogLevel.ERROR, metrics}: {logLevel?: LogLevel; metrics?: Metrics} = {},
): WebClient {
  const Client = metrics ? countedClient(metrics) : WebClient
  return new Client(token, {
    slackApiUrl: settings.apiUrl,
    retryConfig: {retries: 0},
    rejectRateLimitedCalls: true,
    timeout: settings.timeoutMs,
    // At the default (info) it warns on every network error; outcomes already report them.
    logLevel,
  })
}

/**
 * A WebClient that counts every call by method and result. Every method (`chat.postMessage`,
 * ...) is bound to `apiCall` when the client is built, so overriding it sees them all.
 */
function countedClient(metrics: Metrics): typeof WebClient {
  return class CountedWebClient extends WebClient {
    override async apiCall(method: string, options?: Record<string, unknown>): Promise<WebAPICallResult> {
      try {
        const result = await super.apiCall(method, options)
        metrics.slackCall(method, 'ok')
        return result
      } catch (error) {
        const failure = classifySlackError(error)
        if (failure.kind === 'rate-limited') metrics.slackRateLimited(method, failure.retryAfterMs / 1000)
        // Codes only: an unknown error's message would be a new label value each time.
        const result =
          failure.kind === 'rate-limited' ? 'rate_limited' : /^[\w.-]+$/.test(failure.error) ? failure.error : 'error'
        metrics.slackCall(method, result)
        throw error
      }
    }
  }
}

/** Posting needs chat:write; finding an earlier post after an ambiguous failure needs history, and DMs need im:write. */
export const REQUIRED_SCOPES = ['chat:write', 'channels:history', 'im:history', 'im:write']

export interface SlackIdentity {
  team: string
  teamId: string
  user: string
  userId: string
  botId?: string
  url: string
}

/**
 * Calls auth.test so a bad token stops the command with one clear line instead of failing every
 * message. `source` names where the token came from (never the token itself).
 */
export async function checkAuth(
  client: WebClient,
  {source = 'the configured token', scopes = REQUIRED_SCOPES}: {source?: string; scopes?: string[]} = {},
): Promise<SlackIdentity> {
  let result: Awaited<ReturnType<WebClient['auth']['test']>>
  try {
    result = await client.auth.test()
  } catch (error) {
    const failure = classifySlackError(error)
    if (failure.kind === 'fatal') throw slackAuthError(failure.error, `token from ${source}`, failure.needed)
    // Slack answers its API with 200 or 429: another status is a URL that is not its Web API.
    if (failure.kind === 'permanent' && failure.error.startsWith('http_'))
      throw new FaError(
        `Slack at ${client.slackApiUrl} answered HTTP ${failure.error.slice(5)} to auth.test: that is not Slack's Web API`,
        {exit: 'slack', hint: "check slack.apiUrl (Slack's own is https://slack.com/api/)"},
      )
    if (failure.kind === 'permanent') throw slackAuthError(failure.error, `token from ${source}`)
    throw new FaError(redactToken(`cannot reach Slack at ${client.slackApiUrl}: ${failure.error}`, client.token), {
      exit: 'slack',
      hint: 'check the network and slack.apiUrl, then try again',
    })
  }
  // Slack lists the token's scopes in a header on every response; a test server may not.
  const granted = result.response_metadata?.scopes
  const missing = granted ? scopes.filter((scope) => !granted.includes(scope)) : []
  if (missing.length > 0) throw slackAuthError('missing_scope', `token from ${source}`, missing.join(', '))
  return {
    team: result.team ?? '',
    teamId: result.team_id ?? '',
    user: result.user ?? '',
    userId: result.user_id ?? '',
    botId: result.bot_id,
    url: result.url ?? '',
  }
}

const AUTH_PROBLEMS: Record<string, [problem: string, fix: string]> = {
  not_authed: ['no token reached Slack', 'set the bot token'],
  invalid_auth: ['Slack rejected the bot token', 'check that it is a current xoxb- token for this workspace'],
  token_revoked: ['the bot token was revoked', 'reinstall the Slack app and use its new token'],
  token_expired: ['the bot token has expired', 'issue a new token (or turn off token rotation for the app)'],
  account_inactive: ['the token belongs to a deleted user or workspace', 'use a token from an active workspace'],
  missing_scope: ['the bot token lacks a scope', 'add the scope to the Slack app and reinstall it'],
  not_allowed_token_type: ['this kind of token cannot post as a bot', 'use the bot token (xoxb-)'],
  ekm_access_denied: ['workspace administrators have suspended posting', 'ask a Slack admin'],
}

/** One line: what Slack said, in what context (where the token came from), what to do. Never the token. */
export function slackAuthError(code: string, context: string, neededScopes?: string): FaError {
  const [problem, fix] = AUTH_PROBLEMS[code] ?? ['Slack refused the token', 'check the token and the Slack app']
  const needs = neededScopes ? ` (needs ${neededScopes})` : ''
  return new FaError(`Slack auth failed: ${problem}${needs} [${code}]; ${context}`, {exit: 'slack', hint: fix})
}
