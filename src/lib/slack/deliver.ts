import {setTimeout as sleep} from 'node:timers/promises'

import type {WebClient} from '@slack/web-api'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import type {SlackMessage} from './blocks.js'
import {slackAuthError} from './client.js'
import {classifySlackError} from './errors.js'
import {HistoryLookup} from './history.js'
import {TokenBucket} from './token-bucket.js'
import {redactToken} from './token.js'

/** What happened to one alert; recorded on slack-responses. Never the token, never the message. */
export interface DeliveryOutcome {
  alertId: string
  ok: boolean
  /** Where it was posted (a DM's D… id for a user recipient), else where it was meant to go. */
  channel: string
  ts: string | null
  error: string | null
  /** chat.postMessage calls made (0 when a history lookup found it already posted). */
  attempts: number
  firstAttemptAt: string | null
  deliveredAt: string | null
  /** An update's revision (applied with chat.update); absent for a post. */
  revision?: number
}

export type DelivererOptions = Pick<
  Config['slack'],
  'perChannelPerSecond' | 'perChannelBurst' | 'workspacePerMinute' | 'maxAttempts' | 'historyPerMinute'
> & {
  /** The client's request timeout (slack.timeoutMs): a post that timed out may still be stored this long after. */
  requestTimeoutMs: number
  /** Post everything to this channel instead of each message's own (`--channel`). */
  channel?: string
  /** Stops new work: waits end at once, in-flight calls finish (bounded by the client's timeout). */
  signal?: AbortSignal
  /** First backoff step for transient errors; it doubles per failure up to backoffMaxMs, with full jitter. */
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** How far back to search for an in-doubt alert given no `since`. */
  lookbackMs?: number
}

export interface DeliverOptions {
  /** It may already be in Slack (say, a restart after a crash mid-post): look it up before posting. */
  inDoubt?: boolean
  /** The earliest it can have been posted (e.g. the Kafka record's time); bounds that lookup. */
  since?: Date
  /**
   * Apply it with chat.update to this earlier post instead of posting. An update sets the whole
   * message, so applying it again changes nothing: an ambiguous failure is simply retried.
   */
  update?: {channel: string; ts: string}
  /**
   * When every post that may exist had landed (a takeover's wait for the old owner's requests):
   * one history read of the channel made after then answers for all its in-doubt alerts.
   */
  settledAt?: number
}

/**
 * Raised by `deliver` when the Deliverer was aborted before the alert got a final outcome: nothing
 * should be recorded for it. `inDoubt` means a post may have reached Slack; pass `inDoubt` next time.
 */
export class DeliveryAbortedError extends Error {
  constructor(
    readonly alertId: string,
    readonly attempts: number,
    readonly inDoubt: boolean,
  ) {
    super(`delivery of ${alertId} aborted after ${attempts} attempt(s)${inDoubt ? '; it may have been posted' : ''}`)
    this.name = 'DeliveryAbortedError'
  }
}

// Slack's clock stamps ts; allow for ours being behind when bounding a lookup.
const CLOCK_SKEW_MS = 2 * 60_000
// After an ambiguous failure: history is read this many times, a request timeout apart, before posting again.
const LOOKS_BEFORE_REPOST = 2

/**
 * Posts alerts: channels in parallel, each channel in order, one message at a time, within a
 * per-channel token bucket and a workspace-wide one. A 429 holds only its channel; transient
 * errors back off; permanent ones fail at once. After an ambiguous failure (the post may exist)
 * the channel's history is searched for the alert id before posting again, so nothing posts twice:
 * a request timeout after the failure (Slack may store a post that long after the client gave up),
 * and once more before the re-post.
 * An auth error (revoked token, ...) stops everything: `deliver` rejects with a FaError.
 */
export class Deliverer {
  /** Counters for summaries and benchmarks. */
  readonly stats = {posted: 0, failed: 0, rateLimited: 0, retried: 0, foundInHistory: 0}

  private readonly lanes = new Map<string, {bucket: TokenBucket; tail: Promise<unknown>}>()
  private readonly workspace: TokenBucket
  private readonly history: HistoryLookup
  private readonly halt = new AbortController()
  private readonly signal: AbortSignal

  constructor(
    private readonly client: WebClient,
    private readonly options: DelivererOptions,
  ) {
    const workspacePerSecond = options.workspacePerMinute / 60
    this.workspace = new TokenBucket(workspacePerSecond, Math.max(1, Math.ceil(workspacePerSecond)))
    this.signal = options.signal ? AbortSignal.any([options.signal, this.halt.signal]) : this.halt.signal
    this.history = new HistoryLookup(client, options.historyPerMinute, this.signal)
  }

  /** Resolves when the alert is delivered or has failed for good; rejects only when stopped. */
  deliver(message: SlackMessage, options: DeliverOptions = {}): Promise<DeliveryOutcome> {
    const channel = this.options.channel ?? message.channel
    let lane = this.lanes.get(channel)
    if (!lane) {
      lane = {
        bucket: new TokenBucket(this.options.perChannelPerSecond, this.options.perChannelBurst),
        tail: Promise.resolve(),
      }
      this.lanes.set(channel, lane)
    }
    const bucket = lane.bucket
    const run = lane.tail.then(() => this.run(message, channel, bucket, options))
    lane.tail = run.catch(() => undefined)
    return run
  }

  private async run(
    message: SlackMessage,
    channel: string,
    bucket: TokenBucket,
    options: DeliverOptions,
  ): Promise<DeliveryOutcome> {
    const {maxAttempts, requestTimeoutMs, backoffBaseMs = 500, backoffMaxMs = 30_000} = this.options
    const {lookbackMs = 24 * 3600_000} = this.options
    let attempts = 0
    let firstAttemptAt: Date | undefined
    let failures = 0
    let lastError = ''
    // Set while a post may exist: search history from here before posting (again).
    let verifyFrom = options.inDoubt ? (options.since ?? new Date(Date.now() - lookbackMs)) : undefined
    // A post of ours that failed ambiguously: when to look, and how many more looks before a re-post.
    let lookAt = 0
    let looks = 0

    const {update} = options
    const outcome = (
      fields: Pick<DeliveryOutcome, 'ok' | 'channel' | 'ts' | 'error' | 'deliveredAt'>,
    ): DeliveryOutcome => {
      this.stats[fields.ok ? 'posted' : 'failed']++
      const revision = update ? {revision: message.revision} : {}
      return {
        alertId: message.alertId,
        ...fields,
        attempts,
        firstAttemptAt: firstAttemptAt?.toISOString() ?? null,
        ...revision,
      }
    }
    const failed = (error: string) =>
      outcome({
        ok: false,
        channel: this.history.knownConversation(channel) ?? channel,
        ts: null,
        error: redactToken(error, this.client.token),
        deliveredAt: null,
      })

    for (;;) {
      if (this.signal.aborted) throw this.stopped(message.alertId, attempts, verifyFrom !== undefined)
      let step: 'lookup' | 'wait' | 'post' = 'lookup'
      try {
        if (verifyFrom) {
          if (lookAt > Date.now()) {
            await sleep(lookAt - Date.now(), undefined, {signal: this.signal}).catch(() => undefined)
            if (this.signal.aborted) continue
          }
          const found =
            looks === 0 && options.settledAt !== undefined
              ? await this.history.findInDoubt(message.alertId, channel, verifyFrom, options.settledAt)
              : await this.history.find(message.alertId, channel, verifyFrom)
          if (found) {
            this.stats.foundInHistory++
            return outcome({
              ok: true,
              ...found,
              error: null,
              deliveredAt: new Date(Number(found.ts) * 1000).toISOString(),
            })
          }
          if (looks > 1) {
            looks--
            lookAt = Date.now() + requestTimeoutMs
            continue
          }
          looks = 0
          verifyFrom = undefined
          if (failures >= maxAttempts) return failed(lastError)
        }
        step = 'wait'
        // Both tokens are spent at send time (a channel token taken before a workspace wait would let
        // Slack see two posts closer than the rate); only this lane takes from its bucket, so it stays ready.
        await bucket.ready(this.signal)
        await this.workspace.take(this.signal)
        await bucket.take(this.signal)
        step = 'post'
        attempts++
        firstAttemptAt ??= new Date()
        const response = update
          ? await this.client.chat.update({...update, text: message.text, blocks: message.blocks})
          : await this.client.chat.postMessage({
              channel,
              text: message.text,
              blocks: message.blocks,
              metadata: message.metadata,
              unfurl_links: false,
              unfurl_media: false,
            })
        if (update) {
          return outcome({
            ok: true,
            channel: update.channel,
            ts: update.ts,
            error: null,
            deliveredAt: new Date().toISOString(),
          })
        }
        const postedTo = response.channel ?? channel
        this.history.learn(channel, postedTo)
        return outcome({
          ok: true,
          channel: postedTo,
          ts: response.ts ?? null,
          error: null,
          deliveredAt: new Date().toISOString(),
        })
      } catch (error) {
        const failure = classifySlackError(error)
        if (failure.kind === 'fatal') {
          this.halt.abort(
            slackAuthError(
              failure.error,
              `${step === 'lookup' ? 'history lookup' : update ? 'chat.update' : 'chat.postMessage'} for ${channel}`,
              failure.needed,
            ),
          )
          throw this.halt.signal.reason
        }
        // A lookup that cannot run leaves the alert unverifiable: fail it rather than risk a second post.
        if (failure.kind === 'permanent')
          return failed(step === 'lookup' ? `unverified: history lookup failed: ${failure.error}` : failure.error)
        if (failure.kind === 'transient' && failure.ambiguous && step === 'post' && !update) {
          verifyFrom ??= new Date(firstAttemptAt!.getTime() - CLOCK_SKEW_MS)
          // Slack may still store it: look once the request timeout has passed again, then once more.
          lookAt = Date.now() + requestTimeoutMs
          looks = LOOKS_BEFORE_REPOST
        }
        if (this.signal.aborted) throw this.stopped(message.alertId, attempts, verifyFrom !== undefined)
        // A 429 is not an attempt that counts against maxAttempts: Slack did nothing with it.
        if (failure.kind === 'rate-limited') {
          this.stats.rateLimited++
          // History calls share one workspace limit: all lookups wait.
          if (step === 'lookup') {
            this.history.hold(failure.retryAfterMs)
            continue
          }
          // Slack says how long this channel must wait; other channels are unaffected.
          if (step === 'post') bucket.drain()
          await sleep(failure.retryAfterMs, undefined, {signal: this.signal}).catch(() => undefined)
          continue
        }
        failures++
        if (step === 'post') lastError = failure.error
        if (failures >= maxAttempts) {
          if (step === 'lookup') return failed(`unverified: history lookup failed: ${failure.error}`)
          // One last lookup decides between delivered and failed.
          if (!verifyFrom) return failed(failure.error)
          continue
        }
        this.stats.retried++
        const delay = Math.random() * Math.min(backoffMaxMs, backoffBaseMs * 2 ** (failures - 1))
        await sleep(delay, undefined, {signal: this.signal}).catch(() => undefined)
      }
    }
  }

  private stopped(alertId: string, attempts: number, inDoubt: boolean): Error {
    const reason: unknown = this.signal.reason
    return reason instanceof FaError ? reason : new DeliveryAbortedError(alertId, attempts, inDoubt)
  }
}
