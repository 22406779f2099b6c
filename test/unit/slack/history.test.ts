// The Deliverer's history lookups: a post Slack stores after the client gave up, a takeover's
// in-doubt alerts read once per channel, and one limit for every channel's history calls.
import {afterEach, describe, expect, it} from 'vitest'

import {alert, closeServers, expectExactlyOnce, restarted, setup, TIMEOUT_MS} from './harness.js'

afterEach(closeServers)

describe('Deliverer history lookups', () => {
  it('does not post again when Slack stores a post after the request timed out, even later than a timeout', async () => {
    const {server, deliverer} = await setup()
    // Stored half a timeout after the client gave up, and (on the other channel) after a first look too.
    server.inject({kind: 'hang', storeAfterMs: TIMEOUT_MS * 1.5, channels: ['C0LATE']})
    server.inject({kind: 'hang', storeAfterMs: TIMEOUT_MS * 2.5, channels: ['C0LATER']})
    const messages = [alert('late-1', 'C0LATE'), alert('late-2', 'C0LATER')]

    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m)))
    await new Promise((r) => setTimeout(r, TIMEOUT_MS * 1.5))

    expectExactlyOnce(server, messages, outcomes)
    expect(outcomes.map((o) => o.attempts)).toEqual([1, 1])
    expect(deliverer.stats.foundInHistory).toBe(2)
  })

  it('reads a channel once for all the in-doubt alerts a takeover inherits, pacing history under one limit', async () => {
    const {server, deliverer} = await setup(
      {historyRate: {perMinute: 120, burst: 1}},
      {perChannelPerSecond: 100, perChannelBurst: 100},
    )
    const channels = ['C0IDA', 'C0IDB', 'C0IDC']
    const messages = Array.from({length: 12}, (_, i) => alert(`idr-${i}`, channels[i % 3]!))
    const since = new Date(Date.now() - 1000)
    // The crashed owner had posted every other one.
    await Promise.all(messages.filter((_, i) => i % 2 === 0).map((m) => deliverer.deliver(m)))
    const before = server.calls.length

    const again = restarted(server, {
      perChannelPerSecond: 100,
      perChannelBurst: 100,
      workspacePerMinute: 60_000,
      // A little under the server's cap, as slack.historyPerMinute is under Slack's by default.
      historyPerMinute: 100,
    })
    const settledAt = Date.now()
    const outcomes = await Promise.all(messages.map((m) => again.deliver(m, {inDoubt: true, since, settledAt})))

    expect(outcomes.every((o) => o.ok)).toBe(true)
    for (const m of messages) expect(server.postsFor(m.alertId), m.alertId).toHaveLength(1)
    const history = server.calls.slice(before).filter((c) => c.method === 'conversations.history')
    expect(history).toHaveLength(channels.length)
    expect(history.map((c) => c.result)).toEqual(['ok', 'ok', 'ok'])
    expect(again.stats.foundInHistory).toBe(6)
  })

  it("holds every channel's lookups when Slack rate-limits history", async () => {
    const {server, deliverer} = await setup({historyRate: {perMinute: 60, burst: 1}}, {historyPerMinute: 6_000})
    const since = new Date(Date.now() - 1000)
    const messages = Array.from({length: 6}, (_, i) => alert(`hl-${i}`, `C0HL${i}`))
    const outcomes = await Promise.all(messages.map((m) => deliverer.deliver(m, {inDoubt: true, since})))
    expectExactlyOnce(server, messages, outcomes)
    // Our own limit is loose here: Slack's answer holds all six, so about one 429 per second of
    // waiting (5), where channels retrying on their own draw one per waiting channel each time (15).
    expect(server.rateLimited).toBeLessThanOrEqual(9)
  })

  it('looks up alerts the caller marks in doubt, across pages of history, instead of posting again', async () => {
    const {server, deliverer} = await setup({rate: false}, {perChannelPerSecond: 1000, perChannelBurst: 1000})
    const first = alert('doubt-0', 'C0HIST')
    const filler = Array.from({length: 250}, (_, i) => alert(`filler-${i}`, 'C0HIST'))
    const since = new Date(Date.now() - 1000)
    await Promise.all([first, ...filler].map((m) => deliverer.deliver(m)))
    const callsBefore = server.calls.length

    // A restarted sender: knows nothing but that doubt-0 may have been posted.
    const again = restarted(server, {perChannelPerSecond: 5, perChannelBurst: 2, workspacePerMinute: 600})
    const outcome = await again.deliver(first, {inDoubt: true, since})

    expect(outcome).toMatchObject({ok: true, attempts: 0, channel: 'C0HIST', ts: server.postsFor('doubt-0')[0]!.ts})
    expect(server.postsFor('doubt-0')).toHaveLength(1)
    const lookups = server.calls.slice(callsBefore)
    expect(lookups.map((c) => c.method)).toEqual(['conversations.history', 'conversations.history'])

    // Not there: posted once.
    const fresh = await again.deliver(alert('doubt-new', 'C0HIST'), {inDoubt: true, since})
    expect(fresh).toMatchObject({ok: true, attempts: 1})
    expect(server.postsFor('doubt-new')).toHaveLength(1)
  })
})
