// The Slack test server's own messages, by conversation: history pages and chat.update
// (slack-server.ts answers the calls; this holds what they read and change).
import type {RecordedPost} from './slack-server.js'

type Params = Record<string, unknown>
export type StoredMessage = Record<string, unknown> & {ts: string}

export interface RecordedUpdate {
  channel: string
  ts: string
  text: string | undefined
  blocks: Array<Record<string, unknown>> | undefined
  alertId: string | undefined
}

/** What chat.update reads and changes. */
export interface MessageStore {
  history: Map<string, StoredMessage[]>
  posts: RecordedPost[]
  updates: RecordedUpdate[]
  nextTs: () => string
  botUserId: string
}

export function parseJsonParam(value: unknown): {ok: true; value: unknown} | {ok: false} {
  if (value === undefined || typeof value !== 'string') return {ok: true, value}
  try {
    return {ok: true, value: JSON.parse(value)}
  } catch {
    return {ok: false}
  }
}

/** chat.update: the conversation id (not a user id) and ts of a message of ours; text and blocks replaced wholesale. */
export function updateMessage(
  {history, posts, updates, nextTs, botUserId}: MessageStore,
  params: Params,
): {error: string} | {channel: string; ts: string; text: string | undefined} {
  const channel = typeof params.channel === 'string' ? params.channel : ''
  if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return {error: 'channel_not_found'}
  const ts = String(params.ts ?? '')
  const stored = history.get(channel)?.find((m) => m.ts === ts)
  if (!stored) return {error: 'message_not_found'}
  const blocks = parseJsonParam(params.blocks)
  if (!blocks.ok || (blocks.value !== undefined && !Array.isArray(blocks.value)))
    return {error: 'invalid_blocks_format'}
  const text = typeof params.text === 'string' ? params.text : undefined
  if (!text && !blocks.value) return {error: 'no_text'}
  stored.text = text
  stored.blocks = blocks.value
  stored.edited = {user: botUserId, ts: nextTs()}
  const post = posts.find((p) => p.channel === channel && p.ts === ts)!
  post.text = text
  post.blocks = blocks.value as RecordedPost['blocks']
  post.updates++
  updates.push({channel, ts, text, blocks: post.blocks, alertId: post.alertId})
  return {channel, ts, text}
}

/** conversations.history's answer: newest first, paged by a cursor, metadata only when asked for. */
export function conversationsHistory(history: Map<string, StoredMessage[]>, params: Params): Record<string, unknown> {
  const channel = String(params.channel ?? '')
  if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return {ok: false, error: 'channel_not_found'}
  const withMetadata =
    params.include_all_metadata === true ||
    params.include_all_metadata === 'true' ||
    params.include_all_metadata === '1'
  const inclusive = params.inclusive === true || params.inclusive === 'true' || params.inclusive === '1'
  const oldest = params.oldest === undefined ? 0 : Number(params.oldest)
  const cursor =
    typeof params.cursor === 'string' && params.cursor ? Buffer.from(params.cursor, 'base64').toString() : ''
  // A cursor carries the ts the next (older) page starts below; else `latest`, else now.
  const latest = cursor.startsWith('next_ts:')
    ? Number(cursor.slice(8))
    : params.latest === undefined
      ? Infinity
      : Number(params.latest)
  const limit = Math.min(999, Math.max(1, Number(params.limit ?? 100)))
  const inRange = (history.get(channel) ?? [])
    .filter((m) => {
      const ts = Number(m.ts)
      return (inclusive ? ts >= oldest : ts > oldest) && (inclusive && !cursor ? ts <= latest : ts < latest)
    })
    .reverse()
  const page = inRange.slice(0, limit).map(({metadata, ...m}) => (withMetadata && metadata ? {...m, metadata} : m))
  const hasMore = inRange.length > limit
  const body: Record<string, unknown> = {ok: true, messages: page, has_more: hasMore, pin_count: 0}
  if (hasMore) body.response_metadata = {next_cursor: Buffer.from(`next_ts:${page.at(-1)!.ts}`).toString('base64')}
  return body
}
