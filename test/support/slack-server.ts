import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {historyPage, type Params, type StoredMessage} from './slack-history.js'
import {parseJsonParam, updateMessage, type MessageStore, type RecordedUpdate} from './slack-messages.js'

export type {RecordedUpdate} from './slack-messages.js'

/**
 * A Slack Web API stand-in for tests: the real WebClient pointed at `url` (its `slackApiUrl`).
 * It speaks the wire format (form-encoded or JSON POSTs to /api/<method>, `blocks` and `metadata`
 * as JSON strings in forms, `{ok:false, error}` with HTTP 200, 429 + Retry-After), enforces a
 * per-channel rate on chat.postMessage and chat.update, injects faults on demand and records every
 * accepted post; chat.update replaces a post's text and blocks (found by conversation id and ts).
 */

export interface SlackServerOptions {
  /** The only bot token accepted. */
  token?: string
  /** Sent in `x-oauth-scopes` like Slack does; the client's checkAuth reads it. */
  scopes?: string[]
  /** chat.postMessage limit per channel (Slack: about 1/s with short bursts); false for none. */
  rate?: {perSecond: number; burst: number} | false
  /** conversations.history limit for the whole workspace (Slack's Tier 3: about 50 a minute); default none. */
  historyRate?: {perMinute: number; burst: number} | false
}

/**
 * Faults hit the next `count` matching calls (default 1; Infinity for "until cleared"), matched by
 * `method` (default chat.postMessage; '*' for any) and, if given, `channels` (as sent, or the DM id).
 * `accept` means chat.postMessage records the post before misbehaving, so the client cannot tell.
 * - rate-limit: 429 with `Retry-After: retryAfter` seconds (default 1)
 * - http-error: HTTP `status` (default 500) with an HTML body
 * - hang: never answer (the client's timeout fires); with `storeAfterMs` the post is stored that
 *   long after the request came in, as Slack may do after the client has given up
 * - drop: destroy the connection without an answer (accept defaults to true)
 * - error: HTTP 200 `{ok:false, error}`
 */
export type SlackFault = {count?: number; method?: string; channels?: string[]} & (
  | {kind: 'rate-limit'; retryAfter?: number}
  | {kind: 'http-error'; status?: number; accept?: boolean}
  | {kind: 'hang'; accept?: boolean; storeAfterMs?: number}
  | {kind: 'drop'; accept?: boolean}
  | {kind: 'error'; error: string}
)

export interface RecordedPost {
  /** The conversation it landed in (D… for a user id). */
  channel: string
  /** The channel argument as sent. */
  requested: string
  ts: string
  text: string | undefined
  blocks: Array<Record<string, unknown>> | undefined
  metadata: {event_type: string; event_payload: Record<string, unknown>} | undefined
  alertId: string | undefined
  /** chat.update calls applied to it. */
  updates: number
}

export interface RecordedCall {
  method: string
  channel: string | undefined
  /** 'ok', Slack's error code, or 'http 429' / 'http 500' / 'hang' / 'drop'. */
  result: string
  /** When it came in (ms since the epoch). */
  at: number
}

export interface SlackServer {
  /** Ends in /api/, ready for WebClient's `slackApiUrl`. */
  url: string
  token: string
  posts: RecordedPost[]
  /** Accepted chat.update calls, in order (the posts they changed hold the latest content). */
  updates: RecordedUpdate[]
  calls: RecordedCall[]
  inject(fault: SlackFault): void
  clearFaults(): void
  /** Accepted posts carrying this alert id in their metadata. */
  postsFor(alertId: string): RecordedPost[]
  /** 429s answered, injected or from the rate limit. */
  readonly rateLimited: number
  close(): Promise<void>
}

type Reply = {status?: number; headers?: Record<string, string>; body: unknown}

const BOT = {user: 'fa-bot', userId: 'U0FABOT', botId: 'B0FABOT', appId: 'A0FAAPP', team: 'fa-test', teamId: 'T0FATEST'}

export async function startSlackServer(options: SlackServerOptions = {}): Promise<SlackServer> {
  const token = options.token ?? 'xoxb-test-0000-fa'
  const scopes = options.scopes ?? ['chat:write', 'channels:history', 'groups:history', 'im:history', 'im:write']
  const rate = options.rate ?? {perSecond: 1, burst: 3}
  const posts: RecordedPost[] = []
  const updates: RecordedUpdate[] = []
  const calls: RecordedCall[] = []
  const history = new Map<string, StoredMessage[]>()
  const buckets = new Map<string, {tokens: number; at: number}>()
  const historyRate = options.historyRate ?? false
  let faults: Array<SlackFault & {left: number}> = []
  let rateLimited = 0
  let lastTs = 0

  const dmOf = (user: string) => `D${user.slice(1)}`
  const conversationOf = (channel: string) => (/^[UW]/.test(channel) ? dmOf(channel) : channel)

  function takeFault(method: string, channel: string | undefined): SlackFault | undefined {
    const fault = faults.find(
      (f) =>
        f.left > 0 &&
        (f.method === '*' || (f.method ?? 'chat.postMessage') === method) &&
        (!f.channels ||
          (channel !== undefined && (f.channels.includes(channel) || f.channels.includes(conversationOf(channel))))),
    )
    if (fault) fault.left--
    return fault
  }

  /** Seconds until the bucket (a channel's posts, or history calls) allows a call, or 0 after taking a token. */
  function rateWait(key: string, limit: {perSecond: number; burst: number} | false): number {
    if (!limit) return 0
    const now = performance.now()
    const bucket = buckets.get(key) ?? {tokens: limit.burst, at: now}
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond)
    bucket.at = now
    buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond))
  }

  const rateLimit = (wait: number): Reply => ({
    status: 429,
    headers: {'retry-after': String(wait)},
    body: {ok: false, error: 'ratelimited'},
  })

  /** Unique, increasing, like Slack's: epoch seconds with six decimals. */
  function nextTs(): string {
    lastTs = Math.max(Date.now() * 1000, lastTs + 1)
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`
  }

  const store: MessageStore = {history, posts, updates, nextTs, botUserId: BOT.userId}

  /** chat.postMessage's checks, then the post; returns the error code or the stored message. */
  function post(params: Params): {error: string} | {channel: string; message: Record<string, unknown> & {ts: string}} {
    const requested = typeof params.channel === 'string' ? params.channel : ''
    if (!/^[CGDUW][A-Z0-9]{2,}$/.test(requested)) return {error: 'channel_not_found'}
    const blocks = parseJsonParam(params.blocks)
    if (!blocks.ok || (blocks.value !== undefined && !Array.isArray(blocks.value)))
      return {error: 'invalid_blocks_format'}
    if (Array.isArray(blocks.value) && blocks.value.length > 50) return {error: 'invalid_blocks'}
    const metadata = parseJsonParam(params.metadata)
    if (!metadata.ok) return {error: 'invalid_metadata_format'}
    const meta = metadata.value as RecordedPost['metadata']
    if (meta !== undefined && (typeof meta !== 'object' || !meta.event_type)) return {error: 'invalid_metadata_schema'}
    const text = typeof params.text === 'string' ? params.text : undefined
    if (!text && !blocks.value) return {error: 'no_text'}
    if (text && text.length > 40_000) return {error: 'msg_too_long'}
    const channel = conversationOf(requested)
    const ts = nextTs()
    const message = {
      type: 'message',
      subtype: 'bot_message',
      text,
      user: BOT.userId,
      bot_id: BOT.botId,
      app_id: BOT.appId,
      ts,
      blocks: blocks.value,
      metadata: meta,
    }
    history.set(channel, [...(history.get(channel) ?? []), message])
    const alertId = meta?.event_payload?.alert_id
    posts.push({
      channel,
      requested,
      ts,
      text,
      blocks: blocks.value as RecordedPost['blocks'],
      metadata: meta,
      alertId: typeof alertId === 'string' ? alertId : undefined,
      updates: 0,
    })
    return {channel, message}
  }

  function conversationsHistory(params: Params): Reply {
    const channel = String(params.channel ?? '')
    if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return {body: {ok: false, error: 'channel_not_found'}}
    return {body: historyPage(history.get(channel) ?? [], params)}
  }

  function handle(method: string, params: Params, fault: SlackFault | undefined): Reply | 'hang' | 'drop' {
    if (!fault) return dispatch(method, params)
    switch (fault.kind) {
      case 'rate-limit':
        return {
          status: 429,
          headers: {'retry-after': String(fault.retryAfter ?? 1)},
          body: {ok: false, error: 'ratelimited'},
        }
      case 'error':
        return {body: {ok: false, error: fault.error}}
      default:
        // The post happens (maybe later); only the answer goes wrong.
        if (method === 'chat.postMessage' && fault.kind === 'hang' && fault.storeAfterMs !== undefined)
          setTimeout(() => post(params), fault.storeAfterMs).unref()
        else if (fault.accept ?? fault.kind === 'drop') {
          if (method === 'chat.postMessage') post(params)
          else if (method === 'chat.update') updateMessage(store, params)
        }
        return fault.kind === 'http-error'
          ? {status: fault.status ?? 500, body: '<html>Internal Server Error</html>'}
          : fault.kind
    }
  }

  function dispatch(method: string, params: Params): Reply {
    switch (method) {
      case 'auth.test':
        return {
          body: {
            ok: true,
            url: `https://${BOT.team}.slack.com/`,
            team: BOT.team,
            user: BOT.user,
            team_id: BOT.teamId,
            user_id: BOT.userId,
            bot_id: BOT.botId,
          },
        }
      case 'chat.postMessage': {
        const wait = rateWait(conversationOf(String(params.channel ?? '')), rate)
        if (wait > 0) return rateLimit(wait)
        const result = post(params)
        return {
          body:
            'error' in result
              ? {ok: false, error: result.error}
              : {ok: true, channel: result.channel, ts: result.message.ts, message: result.message},
        }
      }
      case 'chat.update': {
        const wait = rateWait(String(params.channel ?? ''), rate)
        if (wait > 0) return rateLimit(wait)
        const result = updateMessage(store, params)
        return {body: 'error' in result ? {ok: false, error: result.error} : {ok: true, ...result}}
      }
      case 'conversations.history': {
        const limit = historyRate && {perSecond: historyRate.perMinute / 60, burst: historyRate.burst}
        const wait = rateWait(' history', limit)
        return wait > 0 ? rateLimit(wait) : conversationsHistory(params)
      }
      case 'conversations.open': {
        const users = String(params.users ?? '')
          .split(',')
          .filter(Boolean)
        if (users.length === 0) return {body: {ok: false, error: 'users_list_not_supplied'}}
        if (users.length > 1) return {body: {ok: false, error: 'not_implemented'}}
        if (!/^[UW][A-Z0-9]{2,}$/.test(users[0]!)) return {body: {ok: false, error: 'user_not_found'}}
        return {body: {ok: true, channel: {id: dmOf(users[0]!)}}}
      }
      default:
        return {body: {ok: false, error: 'unknown_method'}}
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = /^\/api\/([\w.]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1]
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.method !== 'POST' || !method) {
      res.writeHead(404).end()
      return
    }
    const raw = Buffer.concat(chunks).toString('utf8')
    const isJson = (req.headers['content-type'] ?? '').startsWith('application/json')
    let params: Params
    try {
      params = isJson ? (JSON.parse(raw || '{}') as Params) : Object.fromEntries(new URLSearchParams(raw))
    } catch {
      return send(res, {body: {ok: false, error: 'invalid_json'}})
    }
    const channel = typeof params.channel === 'string' ? params.channel : undefined
    const at = Date.now()
    const record = (result: string) => calls.push({method, channel, result, at})
    // Slack takes the token from the Authorization header or, for forms, a `token` parameter.
    const bearer =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ??
      (isJson ? undefined : (params.token as string | undefined))
    if (!bearer || bearer !== token) {
      const error = bearer ? 'invalid_auth' : 'not_authed'
      record(error)
      return send(res, {body: {ok: false, error}})
    }
    const reply = handle(method, params, takeFault(method, channel))
    if (reply === 'hang') {
      record('hang')
      return
    }
    if (reply === 'drop') {
      record('drop')
      req.socket.destroy()
      return
    }
    const body = reply.body as {ok?: boolean; error?: string}
    if (reply.status === 429) rateLimited++
    record(reply.status && reply.status !== 200 ? `http ${reply.status}` : body.ok ? 'ok' : (body.error ?? 'error'))
    send(res, reply)
  }

  function send(res: ServerResponse, {status = 200, headers = {}, body}: Reply): void {
    const isText = typeof body === 'string'
    res.writeHead(status, {
      'content-type': isText ? 'text/html' : 'application/json; charset=utf-8',
      'x-oauth-scopes': scopes.join(','),
      ...headers,
    })
    res.end(isText ? body : JSON.stringify(body))
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/api/`,
    token,
    posts,
    updates,
    calls,
    inject(fault) {
      faults.push({...fault, left: fault.count ?? 1})
    },
    clearFaults() {
      faults = []
    },
    postsFor: (alertId) => posts.filter((p) => p.alertId === alertId),
    get rateLimited() {
      return rateLimited
    },
    async close() {
      // Keep-alive sockets (and hung requests) would hold close() open.
      server.closeAllConnections()
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
