// The Deliverer through the real WebClient against the Slack test server: exactly once through
// 429s, 5xx, timeouts and dropped connections, channels apart, rates, aborts; updates by chat.update.
import {afterEach, describe, expect, it, onTestFinished, vi} from 'vitest'

import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {DeliveryAbortedError} from '../../../src/lib/slack/deliver.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'
import {alert, closeServers, expectExactlyOnce, setup, TIMEOUT_MS} from './harness.js'

afterEach(closeServers)

describe('Deliverer through the real WebClient', () => {
  it('delivers a batch to several channels exactly once through a 429 storm, 5xx and timeouts', async () => {
    const {server, deliverer} = await setup({rate: {perSecond: 5, burst: 2}})
    const channels = ['C0AAA', 'C0BBB', 'C0CCC', 'U0DDD']
    const messages = Array.from({length: 24}, (_, i) => alert(`a-${i}`, channels[i % channels.length]!))
    server.inject({kind: 'rate-limit', count: 5, retryAfter: 1})
    server.inject({kind: 'http-error', status: 503, count: 1})
    server.inject({kind: 'http-error', status: 500, count: 1, accept: true})
    server.inject({kind: 'hang', count: 1})
    server.inject({kind: 'hang', count: 1, accept: true})
    server.inject({kind: 'error', error: 'internal_error', count: 1})

    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m)))

    expectExactlyOnce(server, messages, outcomes)
    // The DM's outcome names the conversation, not the user.
    expect(outcomes[3]!.channel).toBe('D0DDD')
    expect(server.rateLimited).toBeGreaterThanOrEqual(5)
    // The 500 and the hang that had posted anyway were found in history, not posted again.
    expect(deliverer.stats.foundInHistory).toBe(2)
    expect(server.calls.filter((c) => c.method === 'conversations.history').length).toBeGreaterThanOrEqual(4)
    for (const o of outcomes) {
      expect(Date.parse(o.deliveredAt!)).toBeGreaterThanOrEqual(Date.parse(o.firstAttemptAt!) - 1000)
    }
  })

  it('does not post twice when a post is accepted and the connection then drops', async () => {
    const {server, deliverer} = await setup()
    server.inject({kind: 'drop', count: 2})
    const toChannel = alert('drop-1', 'C0DROP')
    const toUser = alert('drop-2', 'U0USER')

    const outcomes = await Promise.all([deliverer.deliver(toChannel), deliverer.deliver(toUser)])

    expectExactlyOnce(server, [toChannel, toUser], outcomes)
    expect(outcomes.map((o) => o.attempts)).toEqual([1, 1])
    expect(outcomes[1]!.channel).toBe('D0USER')
    // Unknown DM id: found through conversations.open, then that DM's history.
    expect(server.calls.filter((c) => c.method === 'conversations.open')).toHaveLength(1)
    expect(
      server.calls
        .filter((c) => c.method === 'conversations.history')
        .map((c) => c.channel)
        .sort(),
    ).toEqual(['C0DROP', 'D0USER'])
  })

  it('re-posts after an ambiguous failure that did not post, once', async () => {
    const {server, deliverer} = await setup()
    server.inject({kind: 'drop', count: 1, accept: false})
    const message = alert('lost-1', 'C0LOST')
    const [outcome] = await Promise.all([deliverer.deliver(message)])
    expectExactlyOnce(server, [message], [outcome!])
    expect(outcome!.attempts).toBe(2)
  })

  it('does not retry permanent errors and reports them as failed outcomes', async () => {
    const {server, deliverer} = await setup()
    server.inject({kind: 'error', error: 'channel_not_found', channels: ['C0GONE'], count: Infinity})
    server.inject({kind: 'error', error: 'is_archived', channels: ['C0ARCH'], count: Infinity})
    const messages = [alert('p-1', 'C0GONE'), alert('p-2', 'C0ARCH'), alert('p-3', 'C0FINE'), alert('p-4', 'C0GONE')]

    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m)))

    expect(outcomes.map((o) => [o.alertId, o.ok, o.error, o.attempts])).toEqual([
      ['p-1', false, 'channel_not_found', 1],
      ['p-2', false, 'is_archived', 1],
      ['p-3', true, null, 1],
      ['p-4', false, 'channel_not_found', 1],
    ])
    expect(outcomes[0]).toMatchObject({channel: 'C0GONE', ts: null, deliveredAt: null})
    expect(outcomes[0]!.firstAttemptAt).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(server.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(4)
    expect(server.posts.map((p) => p.alertId)).toEqual(['p-3'])
  })

  it('gives up on transient errors after maxAttempts, checking history before calling it failed', async () => {
    const {server, deliverer} = await setup({}, {maxAttempts: 3})
    server.inject({kind: 'http-error', status: 502, channels: ['C0DOWN'], count: Infinity})
    const outcome = await deliverer.deliver(alert('t-1', 'C0DOWN'))
    expect(outcome).toMatchObject({ok: false, error: 'http_502', attempts: 3, ts: null})
    expect(server.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(3)
    expect(server.calls.at(-1)!.method).toBe('conversations.history')
  })

  it('keeps channels apart: a held channel does not delay another', async () => {
    const {server, deliverer} = await setup()
    server.inject({kind: 'rate-limit', retryAfter: 2, channels: ['C0SLOW']})
    const start = performance.now()
    const slow = [alert('s-1', 'C0SLOW'), alert('s-2', 'C0SLOW')].map((m) => deliverer.deliver(m))
    const fast = await Promise.all(
      [alert('f-1', 'C0FAST'), alert('f-2', 'C0FAST'), alert('f-3', 'C0FAST')].map((m) => deliverer.deliver(m)),
    )
    const fastDone = performance.now() - start
    const slowOutcomes = await Promise.all(slow)

    expect(fast.every((o) => o.ok)).toBe(true)
    // f-3 waits for a token (5/s, burst 2); the 2 s hold on C0SLOW does not touch it.
    expect(fastDone).toBeLessThan(1000)
    expect(performance.now() - start).toBeGreaterThanOrEqual(2000)
    expect(slowOutcomes.map((o) => o.ok)).toEqual([true, true])
    const slowPosts = server.posts.filter((p) => p.channel === 'C0SLOW')
    expect(slowPosts.map((p) => p.alertId)).toEqual(['s-1', 's-2'])
  })

  it('stays under the server-enforced per-channel rate without 429s, and under the workspace cap', async () => {
    // A little under Slack's rate, as in production: request latency varies.
    const {server, deliverer} = await setup(
      {rate: {perSecond: 5, burst: 2}},
      {perChannelPerSecond: 4, perChannelBurst: 2, workspacePerMinute: 600},
    )
    const messages = [
      ...Array.from({length: 6}, (_, i) => alert(`r-${i}`, 'C0RATE')),
      ...Array.from({length: 14}, (_, i) => alert(`w-${i}`, `C0W${i}`)),
    ]
    const start = performance.now()
    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m)))
    const elapsed = performance.now() - start

    expectExactlyOnce(server, messages, outcomes)
    expect(server.rateLimited).toBe(0)
    // 20 posts at 10/s with a burst of 10: about a second; C0RATE's 6 at 4/s (burst 2) take about as long.
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(3000)
  })

  it('waits out a server 429 when the client limit is looser than Slack, still exactly once', async () => {
    const {server, deliverer} = await setup(
      {rate: {perSecond: 2, burst: 1}},
      {perChannelPerSecond: 50, perChannelBurst: 5},
    )
    const messages = Array.from({length: 4}, (_, i) => alert(`l-${i}`, 'C0LOOSE'))
    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m)))
    expectExactlyOnce(server, messages, outcomes)
    expect(server.rateLimited).toBeGreaterThan(0)
    expect(deliverer.stats.rateLimited).toBe(server.rateLimited)
  })

  it('sends everything to the --channel override', async () => {
    const {server, deliverer} = await setup({}, {channel: 'C0STAGE'})
    const outcomes = await Promise.all(
      [alert('o-1', 'U0ALICE'), alert('o-2', 'C0PROD')].map((m) => deliverer.deliver(m)),
    )
    expect(outcomes.map((o) => o.channel)).toEqual(['C0STAGE', 'C0STAGE'])
    expect(server.posts.map((p) => p.requested)).toEqual(['C0STAGE', 'C0STAGE'])
  })

  it('stops promptly on abort: waits end, queued alerts are not posted', async () => {
    const controller = new AbortController()
    const {server, deliverer} = await setup({}, {signal: controller.signal})
    server.inject({kind: 'rate-limit', retryAfter: 30, channels: ['C0HELD']})
    const held = deliverer.deliver(alert('h-1', 'C0HELD'))
    const queued = deliverer.deliver(alert('h-2', 'C0HELD'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    const start = performance.now()
    controller.abort()

    const results = await Promise.allSettled([held, queued])
    expect(performance.now() - start).toBeLessThan(500)
    for (const result of results) {
      expect(result.status).toBe('rejected')
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DeliveryAbortedError)
    }
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({alertId: 'h-1', attempts: 1, inDoubt: false})
    await expect(deliverer.deliver(alert('h-3', 'C0OTHER'))).rejects.toBeInstanceOf(DeliveryAbortedError)
    expect(server.posts).toHaveLength(0)
  })

  it('marks an alert in doubt when aborted after an ambiguous failure', async () => {
    const controller = new AbortController()
    const {server, deliverer} = await setup({}, {signal: controller.signal, backoffBaseMs: 5000, backoffMaxMs: 5000})
    // Full jitter could pick a backoff shorter than the wait below; pin it near its 5 s cap.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.99)
    onTestFinished(() => random.mockRestore())
    server.inject({kind: 'hang', accept: true})
    const pending = deliverer.deliver(alert('d-1', 'C0DOUBT'))
    // Past the timeout: backing off before the history lookup.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 200))
    const start = performance.now()
    controller.abort()
    await expect(pending).rejects.toMatchObject({name: 'DeliveryAbortedError', inDoubt: true, attempts: 1})
    expect(performance.now() - start).toBeLessThan(500)
    expect(server.calls.map((c) => c.result)).toEqual(['hang'])
  })
})

describe('Deliverer: updates (chat.update)', () => {
  const revised = (alertId: string, recipient: string, revision: number): SlackMessage => ({
    ...buildSlackMessage(alertId, 'test', {
      recipient,
      header: `Alert ${alertId} r${revision}`,
      text: md`revision ${revision}`,
    }),
    revision,
  })

  it('applies a revision to the recorded post in place, through transient errors and 429s, never posting again', async () => {
    const {server, deliverer} = await setup()
    const posted = await deliverer.deliver(alert('fa-u1', 'U123'))
    expect(posted).toMatchObject({ok: true, channel: 'D123'})
    server.inject({kind: 'rate-limit', method: 'chat.update', retryAfter: 0})
    server.inject({kind: 'http-error', method: 'chat.update', accept: true})
    const updated = await deliverer.deliver(revised('fa-u1', 'U123', 1), {
      update: {channel: posted.channel, ts: posted.ts!},
    })
    expect(updated).toMatchObject({ok: true, alertId: 'fa-u1', channel: 'D123', ts: posted.ts, revision: 1})
    expect(server.posts).toHaveLength(1)
    expect(server.posts[0]).toMatchObject({text: 'revision 1', updates: 2})
    expect(server.calls.filter((c) => c.method === 'conversations.history')).toEqual([])
  })

  it('a permanent error fails the update without a post', async () => {
    const {server, deliverer} = await setup()
    const outcome = await deliverer.deliver(revised('fa-u2', 'U123', 2), {update: {channel: 'D123', ts: '1.000001'}})
    expect(outcome).toMatchObject({ok: false, error: 'message_not_found', revision: 2})
    expect(server.posts).toEqual([])
  })
})
