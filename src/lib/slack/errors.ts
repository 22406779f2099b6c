import {ErrorCode} from '@slack/web-api'

/**
 * What to do about a failed Web API call.
 * - rate-limited: Slack refused it (nothing was posted); wait `retryAfterMs`, then retry.
 * - transient: retry with backoff; `ambiguous` means Slack may have acted on it anyway.
 * - permanent: retrying cannot help (bad channel, bad payload).
 * - fatal: the token or workspace is unusable; every further call would fail the same way.
 * `error` is a short code (Slack's own where there is one) fit for an outcome record.
 */
export type SlackFailure =
  | {kind: 'rate-limited'; retryAfterMs: number; error: string}
  | {kind: 'transient'; ambiguous: boolean; error: string}
  | {kind: 'permanent'; error: string}
  | {kind: 'fatal'; error: string; needed?: string}

/** Errors about the token or workspace rather than the message. */
const AUTH_ERRORS = new Set([
  'not_authed',
  'invalid_auth',
  'token_revoked',
  'token_expired',
  'account_inactive',
  'missing_scope',
  'not_allowed_token_type',
  'org_login_required',
  'ekm_access_denied',
  'team_access_not_granted',
  'two_factor_setup_required',
  'enterprise_is_restricted',
])

// "It's possible some aspect of the operation succeeded before the error was raised." (Slack's docs)
const AMBIGUOUS_ERRORS = new Set(['internal_error', 'fatal_error'])
// Refused before processing: safe to retry without a history lookup.
const RETRYABLE_ERRORS = new Set([
  'service_unavailable',
  'request_timeout',
  'ratelimited',
  'rate_limited',
  'team_added_to_org',
])

// Network failures raised before the request left this machine, so nothing can have been posted.
const UNSENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
])

interface SlackErrorLike {
  code?: string
  retryAfter?: number
  statusCode?: number
  data?: {error?: string; needed?: string; response_metadata?: {retryAfter?: number}}
  original?: Error
}

/** Sorts an error thrown by a WebClient configured as in client.ts (no retries, 429s rejected). */
export function classifySlackError(error: unknown): SlackFailure {
  const e = (error ?? {}) as SlackErrorLike
  switch (e.code) {
    case ErrorCode.RateLimitedError:
      return {kind: 'rate-limited', retryAfterMs: (e.retryAfter ?? 1) * 1000, error: 'ratelimited'}
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error'
      const retryAfter = e.data?.response_metadata?.retryAfter
      if ((code === 'ratelimited' || code === 'rate_limited') && retryAfter !== undefined) {
        return {kind: 'rate-limited', retryAfterMs: retryAfter * 1000, error: code}
      }
      if (AUTH_ERRORS.has(code)) return {kind: 'fatal', error: code, needed: e.data?.needed}
      if (AMBIGUOUS_ERRORS.has(code)) return {kind: 'transient', ambiguous: true, error: code}
      if (RETRYABLE_ERRORS.has(code)) return {kind: 'transient', ambiguous: false, error: code}
      // channel_not_found, not_in_channel, is_archived, invalid_blocks, msg_too_long, msg_blocks_too_long,
      // invalid_arguments, user_not_found, cannot_dm_bot, ... and any code we do not know.
      return {kind: 'permanent', error: code}
    }
    case ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0
      const error = `http_${status}`
      // Slack answers everything with 200 or 429; a 5xx comes from somewhere that may have forwarded the post.
      if (status >= 500 || status === 408) return {kind: 'transient', ambiguous: true, error}
      return {kind: 'permanent', error}
    }
    case ErrorCode.RequestError: {
      const original = e.original
      if (original?.name === 'TimeoutError' || original?.name === 'AbortError')
        return {kind: 'transient', ambiguous: true, error: 'timeout'}
      const code = networkCode(original)
      return {kind: 'transient', ambiguous: !UNSENT_NETWORK_CODES.has(code ?? ''), error: code ?? 'network_error'}
    }
    default:
      // Not from the WebClient's known paths (e.g. a 429 without a usable Retry-After): assume the worst.
      return {kind: 'transient', ambiguous: true, error: error instanceof Error ? error.message : String(error)}
  }
}

/** undici wraps the socket error: `TypeError: fetch failed` with `cause.code` (or an AggregateError's first). */
function networkCode(error: Error | undefined): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code ?? (current as AggregateError).errors?.[0]?.code
    if (typeof code === 'string') return code
  }
  return undefined
}
