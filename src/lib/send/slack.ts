import type {Config} from '../config/schema.js'
import type {Metrics} from '../metrics/room.js'
import {checkAuth, createSlackClient, type SlackIdentity} from '../slack/client.js'
import {Deliverer} from '../slack/deliver.js'
import {readSlackToken} from '../slack/token.js'

export interface SlackConnection {
  identity: SlackIdentity
  /** Where the token came from (a variable's name or a file's path), never the token. */
  tokenSource: string
  createDeliverer(stop: AbortSignal): Deliverer
}

/**
 * The Slack side of `fa send` (loaded only when it posts): the bot token from the environment or
 * file, a client that never retries on its own, and `auth.test` first, so a bad token or a
 * missing scope stops the run with one line (exit 6) instead of failing every message.
 */
export async function connectSlack(
  config: Config,
  options: {dir?: string; env?: NodeJS.ProcessEnv; channel?: string; metrics?: Metrics} = {},
): Promise<SlackConnection> {
  const {token, source} = await readSlackToken(config.slack, {env: options.env, dir: options.dir})
  const client = createSlackClient(token, config.slack, {metrics: options.metrics})
  const identity = await checkAuth(client, {source})
  return {
    identity,
    tokenSource: source,
    createDeliverer: (stop) =>
      new Deliverer(client, {
        perChannelPerSecond: config.slack.perChannelPerSecond,
        perChannelBurst: config.slack.perChannelBurst,
        workspacePerMinute: config.slack.workspacePerMinute,
        maxAttempts: config.slack.maxAttempts,
        requestTimeoutMs: config.slack.timeoutMs,
        historyPerMinute: config.slack.historyPerMinute,
        channel: options.channel,
        signal: stop,
        ...backoffFromEnv(options.env ?? process.env),
      }),
  }
}

/** Backoff tuning for tests and benchmarks: FA_SLACK_BACKOFF_BASE_MS, FA_SLACK_BACKOFF_MAX_MS. */
function backoffFromEnv(env: NodeJS.ProcessEnv): {backoffBaseMs?: number; backoffMaxMs?: number} {
  const read = (name: string) => {
    const value = Number(env[name])
    return env[name] && Number.isFinite(value) && value > 0 ? value : undefined
  }
  const out: {backoffBaseMs?: number; backoffMaxMs?: number} = {}
  const base = read('FA_SLACK_BACKOFF_BASE_MS')
  const max = read('FA_SLACK_BACKOFF_MAX_MS')
  if (base !== undefined) out.backoffBaseMs = base
  if (max !== undefined) out.backoffMaxMs = max
  return out
}
