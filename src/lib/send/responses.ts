import type {KafkaMessage, Message} from 'kafkajs'

import {fromKafka} from '../kafka/codec.js'

import type {Logger} from '../output/log.js'
import {parseDuration} from '../pipeline/duration.js'
import {decodeJsonObject, type Payload} from '../records/record.js'
import {framedId} from '../schema/codec.js'
import type {RecordDecoder} from '../schema/decoder.js'
import type {RecordEncoder} from '../schema/encoder.js'
import type {DeliveryOutcome} from '../slack/deliver.js'

/** Where a post landed: what chat.update needs to change it. */
export interface Posted {
  channel: string
  ts: string
}

/** Outcomes noted between sweeps for those past the retention. */
const PRUNE_EVERY = 4096

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
  /** When each alert's latest outcome was recorded (ms), so outcomes past the retention are forgotten. */
  private readonly recordedAt = new Map<string, number>()
  private untilPrune = PRUNE_EVERY
  /** Responses read from the topic (not counting this process's own updates). */
  read = 0

  private readonly retentionMs: number

  /** `retention` (slack.retention, a duration or ms): outcomes recorded longer ago are forgotten, so the set stops growing. */
  constructor(
    retention: string | number = Infinity,
    private readonly now: () => number = Date.now,
  ) {
    this.retentionMs = typeof retention === 'number' ? retention : (parseDuration(retention) ?? Infinity)
  }

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

  markDelivered(alertId: string, posted?: Posted, at = this.now()): void {
    this.delivered.set(alertId, posted ?? this.delivered.get(alertId) ?? null)
    this.touch(alertId, at)
  }

  /** A post that failed for good: its updates are dead-lettered, not posted as new. */
  markFailed(alertId: string, error: string, at = this.now()): void {
    this.failedPosts.set(alertId, error)
    this.touch(alertId, at)
  }

  markApplied(alertId: string, revision: number, at = this.now()): void {
    if (revision > this.appliedRevision(alertId)) this.applied.set(alertId, revision)
    this.touch(alertId, at)
  }

  private touch(alertId: string, at: number): void {
    this.recordedAt.set(alertId, Math.max(at, this.recordedAt.get(alertId) ?? 0))
    if (--this.untilPrune > 0) return
    this.untilPrune = PRUNE_EVERY
    const cutoff = this.now() - this.retentionMs
    for (const [id, time] of this.recordedAt) {
      if (time >= cutoff) continue
      this.recordedAt.delete(id)
      this.delivered.delete(id)
      this.failedPosts.delete(id)
      this.applied.delete(id)
    }
  }

  /**
   * A record of the topic: an ok response marks the id delivered (an update's, the revision
   * applied); a failed one never unmarks it (a post that happened stays posted); a tombstone
   * forgets the id (an operator wants it sent again).
   */
  apply(message: ResponseRecord): void {
    const key = typeof message.key === 'string' ? message.key : message.key?.toString('utf8')
    if (!key) return
    this.read++
    const at = message.timestamp === undefined ? this.now() : Number(message.timestamp)
    // Past the retention: forgotten, as if it had never been recorded.
    if (this.now() - at > this.retentionMs) return
    const update = UPDATE_KEY.exec(key)
    if (message.value === null) {
      if (!update) this.delivered.delete(key)
      return
    }
    const decoded = decodeJsonObject(message.value)
    // Not ours (or corrupt): says nothing about delivery.
    if (!decoded.ok) return
    const parsed = decoded.value
    if (update) {
      if (parsed.ok === true) this.markApplied(update[1]!, Number(update[2]), at)
    } else if (parsed.ok === true) {
      const where =
        typeof parsed.channel === 'string' && typeof parsed.ts === 'string'
          ? {channel: parsed.channel, ts: parsed.ts}
          : undefined
      this.markDelivered(key, where, at)
    } else {
      this.markFailed(key, typeof parsed.error === 'string' ? parsed.error : 'failed', at)
    }
  }
}

/** A record of slack-responses: as read (JSON bytes), or with its key and value decoded from a registry format. */
export interface ResponseRecord {
  key: Buffer | string | null
  value: Payload
  timestamp?: string
}

/**
 * Applies consumed slack-responses messages to `table`, decoded first when in a registry format
 * (a registry outage waits here, as the alerts' does in intake.ts).
 */
export function responseReader(
  table: ResponseTable,
  decoder: RecordDecoder | undefined,
  log: Logger,
  signal: AbortSignal,
) {
  return async (topic: string, partition: number, messages: KafkaMessage[]): Promise<void> => {
    await decoder?.prepare(topic, messages, {signal})
    for (const message of messages) {
      const decoded = decoder?.decode(fromKafka(topic, partition, message), message)
      // A JSON response recorded before slackResponses was pinned still counts: ignoring it would post again.
      if (decoded && !decoded.ok && framedId(message.value) !== undefined) {
        // Says nothing about delivery, as a record that is not JSON.
        log.warn('a slack-responses record cannot be decoded; it is ignored', {reason: decoded.reason})
        continue
      }
      const {key, value} = decoded?.ok ? decoded.record : message
      table.apply({key, value, timestamp: message.timestamp})
    }
  }
}

/** Why an update of `alertId` cannot be applied when `table` has no post of it: how its post failed, or that none is recorded. */
export function noPostReason(table: Pick<ResponseTable, 'postFailure'>, alertId: string, revision: number): string {
  const failure = table.postFailure(alertId)
  return failure
    ? `update ${revision} of an alert whose post failed: ${failure}`
    : `update ${revision} of an alert with no recorded post`
}

/** An outcome as recorded; an expired alert (older than slack.maxAlertAge) was never posted. */
export type RecordedOutcome = DeliveryOutcome & {expired?: {eventAt: string}}

/**
 * The recorded form of an outcome: exactly the documented fields, never the message or the token;
 * in the topic's registry format when `formats:` pins one (`encode`: schema/own-outputs.ts).
 */
export function responseMessage(outcome: RecordedOutcome, encode?: ResponseEncoding): Message {
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
    ...(outcome.expired ? {expired: true, eventAt: outcome.expired.eventAt} : {}),
  }
  const key = outcome.revision ? `${outcome.alertId}@${outcome.revision}` : outcome.alertId
  if (encode) {
    const {encoder, topic} = encode
    try {
      const bytes = encoder.value(topic, value)
      const encodedKey = encoder.key(topic, key)
      if (Buffer.isBuffer(bytes)) return {key: encodedKey, value: bytes}
      return {key: encodedKey, value: JSON.stringify(value), headers: JSON_HEADERS}
    } catch (error) {
      // Checked against the schema at the start (own-outputs.ts): an outcome is recorded whatever happens.
      encode.log.error('response does not fit its topic schema; recording it as JSON', {topic, error})
    }
  }
  return {key, value: JSON.stringify(value), headers: JSON_HEADERS}
}

const JSON_HEADERS = {'content-type': 'application/json'}

export interface ResponseEncoding {
  encoder: RecordEncoder
  topic: string
  log: Logger
}
