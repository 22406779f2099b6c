// The Deliverer's tests share these: a Slack test server per test (closed after it), the real
// WebClient pointed at it, alerts, and what "exactly once" means on the server's record.
import {expect} from 'vitest'

import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {createSlackClient} from '../../../src/lib/slack/client.js'
import {Deliverer, type DelivererOptions, type DeliveryOutcome} from '../../../src/lib/slack/deliver.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'
import {startSlackServer, type SlackServer, type SlackServerOptions} from '../../support/slack-server.js'

export const TOKEN = 'xoxb-1111-2222-SeCrEtTestToken'

/** The servers the running test started (closeServers closes them). */
export const servers: SlackServer[] = []
/** For afterEach: closes the servers the test started. */
export async function closeServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.close()))
}

// Generous enough for a loaded CI box (undici's first requests are slow); hang faults cost this much.
export const TIMEOUT_MS = 1000

export async function setup(serverOptions: SlackServerOptions = {}, options: Partial<DelivererOptions> = {}) {
  const server = await startSlackServer({token: TOKEN, ...serverOptions})
  servers.push(server)
  const client = createSlackClient(TOKEN, {apiUrl: server.url, timeoutMs: TIMEOUT_MS})
  const deliverer = new Deliverer(client, {
    perChannelPerSecond: 5,
    perChannelBurst: 2,
    workspacePerMinute: 60_000,
    maxAttempts: 6,
    requestTimeoutMs: TIMEOUT_MS,
    historyPerMinute: 60_000,
    backoffBaseMs: 20,
    backoffMaxMs: 200,
    ...options,
  })
  return {server, client, deliverer}
}

/** A fresh Deliverer on the same server, as a restarted `fa send` would have: it knows nothing. */
export function restarted(server: SlackServer, options: Partial<DelivererOptions>): Deliverer {
  return new Deliverer(createSlackClient(TOKEN, {apiUrl: server.url, timeoutMs: TIMEOUT_MS}), {
    perChannelPerSecond: 5,
    perChannelBurst: 2,
    workspacePerMinute: 600,
    requestTimeoutMs: TIMEOUT_MS,
    historyPerMinute: 600,
    maxAttempts: 3,
    ...options,
  })
}

export function alert(alertId: string, recipient: string): SlackMessage {
  return buildSlackMessage(alertId, 'test', {
    recipient,
    header: `Alert ${alertId}`,
    text: md`*${alertId}* for <@${recipient}> & co`,
    fields: [{label: 'Account', value: 'Acme <Corp>'}],
    context: ['fa test'],
  })
}

/** Every alert posted exactly once, where its outcome says, and each channel's posts in submission order. */
export function expectExactlyOnce(server: SlackServer, messages: SlackMessage[], outcomes: DeliveryOutcome[]) {
  expect(outcomes.filter((o) => !o.ok)).toEqual([])
  for (const [i, message] of messages.entries()) {
    const posts = server.postsFor(message.alertId)
    expect(posts, message.alertId).toHaveLength(1)
    expect(outcomes[i]).toMatchObject({
      alertId: message.alertId,
      ok: true,
      channel: posts[0]!.channel,
      ts: posts[0]!.ts,
      error: null,
    })
    expect(posts[0]!.blocks).toEqual(message.blocks)
  }
  expect(server.posts).toHaveLength(messages.length)
  for (const channel of new Set(messages.map((m) => m.channel))) {
    const sent = messages.filter((m) => m.channel === channel).map((m) => m.alertId)
    const posted = server.posts.filter((p) => p.requested === channel).sort((a, b) => Number(a.ts) - Number(b.ts))
    expect(posted.map((p) => p.alertId)).toEqual(sent)
  }
}
