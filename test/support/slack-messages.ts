// The Slack test server's own messages, by conversation: what chat.update changes
// (slack-server.ts answers the calls; this holds what they read and change).
import type {RecordedPost} from './slack-server.js'

import type {Params, StoredMessage} from './slack-history.js'

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
