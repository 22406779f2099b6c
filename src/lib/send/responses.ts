import type {KafkaMessage, Message} from 'kafkajs'

import type {DeliveryOutcome} from '../slack/deliver.js'

/** Where a post landed: what chat.update needs to change it. */
export interface Posted {
  channel: string
  ts: string
}

/** The key of an update's response: its own, so a failed update never hides the post's success. */
const UPDATE_KEY = /^(.+)@(\d+)$/

/**
 * What is known about alerts from `slack-responses` (a compacted topic keyed by alert id, and by
 * `<alert id>@<revision>` for updates): the ids with a successful post and where it landed, why a
 * post failed for good, and the latest revision applied. Fed by the bootstrap read, by the
 * follower afterwards (other `fa send` processes) and by this process as soon as a post or an
 * update succeeds (before it is recorded).
 */
export class ResponseTable {
  private readonly delivered = new Map<string, Posted | null>()
  private readonly failedPosts = new Map<string, string>()
  private readonly applied = new Map<string, number>()
  /** Responses read from the topic (not counting this process's own updates). */
  read = 0

  isDelivered(alertId: string): boolean {
    return this.delivered.has(alertId)
  }

  /** Where the alert's post landed; undefined if it has no successful post (or one recorded without a ts). */
  posted(alertId: string): Posted | undefined {
    return this.delivered.get(alertId) ?? undefined
  }

  /** Why the alert's post failed for good, if it did and never succeeded. */
  postFailure(alertId: string): string | undefined {
    return this.delivered.has(alertId) ? undefined : this.failedPosts.get(alertId)
  }

  /** The latest revision applied to the alert's post (0: the post itself, or nothing yet). */
  appliedRevision(alertId: string): number {
    return this.applied.get(alertId) ?? 0
  }

  get size(): number {
    return this.delivered.size
  }

  markDelivered(alertId: string, posted?: Posted): void {
    this.delivered.set(alertId, posted ?? this.delivered.get(alertId) ?? null)
  }

  /** A post that failed for good: its updates are dead-lettered, not posted as new. */
  markFailed(alertId: string, error: string): void {
    this.failedPosts.set(alertId, error)
  }

  markApplied(alertId: string, revision: number): void {
    if (revision > this.appliedRevision(alertId)) this.applied.set(alertId, revision)
  }

  /**
   * A record of the topic: an ok response marks the id delivered (an update's, the revision
   * applied); a failed one never unmarks it (a post that happened stays posted); a tombstone
   * forgets the id (an operator wants it sent again).
   */
  apply(message: Pick<KafkaMessage, 'key' | 'value'>): void {
    const key = message.key?.toString('utf8')
    if (!key) return
    this.read++
    const update = UPDATE_KEY.exec(key)
    if (message.value === null) {
      if (!update) this.delivered.delete(key)
      return
    }
    try {
      const parsed = JSON.parse(message.value.toString('utf8')) as {
        ok?: unknown
        channel?: unknown
        ts?: unknown
        error?: unknown
      }
      if (update) {
        if (parsed?.ok === true) this.markApplied(update[1]!, Number(update[2]))
      } else if (parsed?.ok === true) {
        const where =
          typeof parsed.channel === 'string' && typeof parsed.ts === 'string'
            ? {channel: parsed.channel, ts: parsed.ts}
            : undefined
        this.markDelivered(key, where)
      } else if (parsed && typeof parsed === 'object') {
        this.markFailed(key, typeof parsed.error === 'string' ? parsed.error : 'failed')
      }
    } catch {
      // Not ours (or corrupt): says nothing about delivery.
    }
  }
}

/** The recorded form of an outcome: exactly the documented fields, never the message or the token. */
export function responseMessage(outcome: DeliveryOutcome): Message {
  const value = {
    alertId: outcome.alertId,
    ok: outcome.ok,
    channel: outcome.channel,
    ts: outcome.ts,
    error: outcome.error,
    attempts: outcome.attempts,
    firstAttemptAt: outcome.firstAttemptAt,
    deliveredAt: outcome.deliveredAt,
    ...(outcome.revision ? {revision: outcome.revision} : {}),
  }
  const key = outcome.revision ? `${outcome.alertId}@${outcome.revision}` : outcome.alertId
  return {key, value: JSON.stringify(value), headers: {'content-type': 'application/json'}}
}
