import type {WebClient} from '@slack/web-api'

import {METADATA_EVENT_TYPE} from './blocks.js'
import {TokenBucket} from './token-bucket.js'

const HISTORY_PAGE = 200

/** One paged read of a conversation's history: the alert ids it found, with their ts. */
interface ChannelRead {
  /** The read covered messages from this time on (ms since the epoch). */
  oldest: number
  /** When it was made (ms since the epoch). */
  readAt: number
  posted: Map<string, string>
}

/**
 * Finds earlier posts of alerts in channel history (`conversations.history` with metadata), under
 * one limit for the whole workspace: Slack allows about 50 history calls a minute per method
 * (Tier 3), so every channel's lookups share one token bucket, and a 429 on any of them holds all.
 */
export class HistoryLookup {
  /** Recipient → the conversation a post to it lands in (a user id's DM is D…), learned from responses. */
  private readonly conversations = new Map<string, string>()
  /** The last read of each conversation made for in-doubt alerts after a takeover. */
  private readonly reads = new Map<string, ChannelRead>()
  private readonly bucket: TokenBucket

  constructor(
    private readonly client: WebClient,
    perMinute: number,
    private readonly signal: AbortSignal,
  ) {
    this.bucket = new TokenBucket(perMinute / 60, 1)
  }

  /** A post's response named the conversation it landed in. */
  learn(channel: string, postedTo: string): void {
    if (postedTo !== channel) this.conversations.set(channel, postedTo)
  }

  /** Where a post to `channel` landed, if known. */
  knownConversation(channel: string): string | undefined {
    return this.conversations.get(channel)
  }

  /** Slack said to wait (a 429 on a lookup): every channel's lookups wait. */
  hold(ms: number): void {
    this.bucket.hold(ms)
  }

  /** Searches the conversation from `since` for a message carrying the alert id, stopping at a hit. */
  async find(alertId: string, channel: string, since: Date): Promise<{channel: string; ts: string} | undefined> {
    const conversation = await this.conversationOf(channel)
    let hit: string | undefined
    await this.read(conversation, since, (id, ts) => {
      if (id !== alertId) return false
      hit = ts
      return true
    })
    return hit ? {channel: conversation, ts: hit} : undefined
  }

  /**
   * For alerts another process may have posted before a takeover: one read of the conversation
   * from `since` answers for all of its in-doubt alerts, as long as it was made after everything
   * the old owner had in flight had landed (`settledAt`) and reaches back far enough.
   */
  async findInDoubt(
    alertId: string,
    channel: string,
    since: Date,
    settledAt: number,
  ): Promise<{channel: string; ts: string} | undefined> {
    const conversation = await this.conversationOf(channel)
    let read = this.reads.get(conversation)
    if (!read || read.readAt < settledAt || read.oldest > since.getTime()) {
      const readAt = Date.now()
      const posted = new Map<string, string>()
      await this.read(conversation, since, (id, ts) => {
        posted.set(id, ts)
        return false
      })
      read = {oldest: since.getTime(), readAt, posted}
      this.reads.set(conversation, read)
    }
    const ts = read.posted.get(alertId)
    return ts ? {channel: conversation, ts} : undefined
  }

  /** Pages through the conversation from `since`, newest first, until `visit` returns true. */
  private async read(conversation: string, since: Date, visit: (alertId: string, ts: string) => boolean) {
    let cursor: string | undefined
    do {
      this.signal.throwIfAborted()
      await this.bucket.take(this.signal)
      const page = await this.client.conversations.history({
        channel: conversation,
        oldest: (since.getTime() / 1000).toFixed(6),
        include_all_metadata: true,
        limit: HISTORY_PAGE,
        cursor,
      })
      for (const m of page.messages ?? []) {
        const id = (m.metadata?.event_payload as Record<string, unknown> | undefined)?.alert_id
        if (m.metadata?.event_type === METADATA_EVENT_TYPE && typeof id === 'string' && m.ts && visit(id, m.ts)) return
      }
      cursor = page.response_metadata?.next_cursor || undefined
    } while (cursor)
  }

  /** Posting to a user id goes to our DM with them, whose history is under its own D… id. */
  private async conversationOf(channel: string): Promise<string> {
    const known = this.conversations.get(channel)
    if (known || !/^[UW]/.test(channel)) return known ?? channel
    const opened = await this.client.conversations.open({users: channel})
    const dm = opened.channel?.id
    if (!dm) throw new Error(`conversations.open gave no channel for ${channel}`)
    this.conversations.set(channel, dm)
    return dm
  }
}
