import type {KafkaMessage, Message} from 'kafkajs'

import type {DeliveryOutcome} from '../slack/deliver.js'

/**
 * What is known about alerts from `slack-responses` (a compacted topic keyed by alert id): the
 * ids with a successful response. Fed by the bootstrap read, by the follower afterwards (other
 * `fa send` processes) and by this process as soon as a post succeeds (before it is recorded).
 */
export class ResponseTable {
  private readonly delivered = new Set<string>()
  /** Responses read from the topic (not counting this process's own updates). */
  read = 0

  isDelivered(alertId: string): boolean {
    return this.delivered.has(alertId)
  }

  get size(): number {
    return this.delivered.size
  }

  markDelivered(alertId: string): void {
    this.delivered.add(alertId)
  }

  /**
   * A record of the topic: an ok response marks the id delivered; a failed one never unmarks it
   * (a post that happened stays posted); a tombstone forgets the id (an operator wants it sent again).
   */
  apply(message: Pick<KafkaMessage, 'key' | 'value'>): void {
    const alertId = message.key?.toString('utf8')
    if (!alertId) return
    this.read++
    if (message.value === null) {
      this.delivered.delete(alertId)
      return
    }
    try {
      const parsed = JSON.parse(message.value.toString('utf8')) as {ok?: unknown}
      if (parsed?.ok === true) this.delivered.add(alertId)
    } catch {
      // Not ours (or corrupt): says nothing about delivery.
    }
  }
}

/** An outcome as recorded; an expired alert (older than slack.maxAlertAge) was never posted. */
export type RecordedOutcome = DeliveryOutcome & {expired?: {eventAt: string}}

/** The recorded form of an outcome: exactly the documented fields, never the message or the token. */
export function responseMessage(outcome: RecordedOutcome): Message {
  const value = {
    alertId: outcome.alertId,
    ok: outcome.ok,
    channel: outcome.channel,
    ts: outcome.ts,
    error: outcome.error,
    attempts: outcome.attempts,
    firstAttemptAt: outcome.firstAttemptAt,
    deliveredAt: outcome.deliveredAt,
    ...(outcome.expired ? {expired: true, eventAt: outcome.expired.eventAt} : {}),
  }
  return {key: outcome.alertId, value: JSON.stringify(value), headers: {'content-type': 'application/json'}}
}
