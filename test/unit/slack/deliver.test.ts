import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it, onTestFinished, vi} from 'vitest'

import {FaError} from '../../../src/lib/errors.js'
import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {checkAuth, createSlackClient} from '../../../src/lib/slack/client.js'
import {DeliveryAbortedError} from '../../../src/lib/slack/deliver.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'
import {readSlackToken, redactToken} from '../../../src/lib/slack/token.js'
import {validateSlackMessage} from '../../../src/lib/slack/validate.js'
import {startSlackServer} from '../../support/slack-server.js'
import {alert, closeServers, expectExactlyOnce, servers, setup, TIMEOUT_MS, TOKEN} from './harness.js'

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

describe('the Slack test server', () => {
  it('takes JSON bodies with a bearer token as Slack does', async () => {
    const server = await startSlackServer({token: TOKEN})
    servers.push(server)
    const message = alert('j-1', 'C0JSON')
    const call = (headers: Record<string, string>) =>
      fetch(`${server.url}chat.postMessage`, {
        method: 'POST',
        headers: {'content-type': 'application/json; charset=utf-8', ...headers},
        body: JSON.stringify(message),
      })
    expect(await (await call({})).json()).toEqual({ok: false, error: 'not_authed'})
    const reply = (await (await call({authorization: `Bearer ${TOKEN}`})).json()) as {
      ok: boolean
      channel: string
      ts: string
    }
    expect(reply).toMatchObject({ok: true, channel: 'C0JSON'})
    expect(server.posts).toEqual([
      {
        channel: 'C0JSON',
        requested: 'C0JSON',
        ts: reply.ts,
        text: message.text,
        blocks: message.blocks,
        metadata: message.metadata,
        alertId: 'j-1',
        updates: 0,
      },
    ])
  })
})

describe('Slack auth and the token', () => {
  const errorTexts: string[] = []
  const collect = (error: unknown) => {
    const e = error as FaError
    errorTexts.push(`${e.message} ${e.hint ?? ''} ${e.stack ?? ''} ${JSON.stringify(e)}`)
    return e
  }

  it('checkAuth returns the identity for a good token', async () => {
    const {client} = await setup()
    await expect(checkAuth(client, {source: 'SLACK_BOT_TOKEN'})).resolves.toMatchObject({
      teamId: 'T0FATEST',
      userId: 'U0FABOT',
      botId: 'B0FABOT',
    })
  })

  it.each([
    ['invalid_auth', 'Slack rejected the bot token'],
    ['not_authed', 'no token reached Slack'],
    ['token_revoked', 'the bot token was revoked'],
    ['account_inactive', 'deleted user or workspace'],
  ])('checkAuth turns %s into one clear line', async (code, text) => {
    const server = await startSlackServer({token: code === 'invalid_auth' ? 'xoxb-another-token' : TOKEN})
    servers.push(server)
    if (code !== 'invalid_auth' && code !== 'not_authed')
      server.inject({kind: 'error', error: code, method: 'auth.test'})
    const client = createSlackClient(code === 'not_authed' ? '' : TOKEN, {apiUrl: server.url, timeoutMs: TIMEOUT_MS})
    const error = collect(await checkAuth(client, {source: 'SLACK_BOT_TOKEN'}).catch((e: unknown) => e))
    expect(error).toBeInstanceOf(FaError)
    expect(error.exitCode).toBe(6)
    expect(error.message).toContain(text)
    expect(error.message).toContain(`[${code}]`)
    expect(error.message).toContain('SLACK_BOT_TOKEN')
    expect(error.message).not.toContain('\n')
  })

  it('checkAuth names scopes the token lacks', async () => {
    const {client} = await setup({scopes: ['chat:write']})
    const error = collect(await checkAuth(client).catch((e: unknown) => e))
    expect(error.message).toMatch(/lacks a scope \(needs channels:history, im:history, im:write\) \[missing_scope\]/)
  })

  it('checkAuth reports an unreachable Slack without the token', async () => {
    const {server, client} = await setup()
    await server.close()
    servers.splice(servers.indexOf(server), 1)
    const error = collect(await checkAuth(client).catch((e: unknown) => e))
    expect(error.message).toMatch(/^cannot reach Slack at http:\/\/127\.0\.0\.1:\d+\/api\/: ECONNREFUSED$/)
  })

  it('stops delivering when the token is revoked mid-run', async () => {
    const {server, deliverer} = await setup()
    server.inject({kind: 'error', error: 'token_revoked'})
    const results = await Promise.allSettled(
      [alert('x-1', 'C0REV'), alert('x-2', 'C0REV'), alert('x-3', 'C0OTHER')].map((m) => deliverer.deliver(m)),
    )
    const rejected = results.filter((r) => r.status === 'rejected').map((r) => collect(r.reason))
    expect(rejected.length).toBeGreaterThanOrEqual(2)
    for (const error of rejected) {
      expect(error).toBeInstanceOf(FaError)
      expect(error.message).toContain('[token_revoked]')
    }
    await expect(deliverer.deliver(alert('x-4', 'C0REV'))).rejects.toBeInstanceOf(FaError)
  })

  it('reads the token from the named variable or the file, with clear errors', async () => {
    expect(await readSlackToken({tokenEnv: 'SLACK_BOT_TOKEN'}, {env: {SLACK_BOT_TOKEN: ` ${TOKEN}\n`}})).toEqual({
      token: TOKEN,
      source: 'SLACK_BOT_TOKEN',
    })
    const missing = collect(await readSlackToken({tokenEnv: 'FA_SLACK'}, {env: {}}).catch((e: unknown) => e))
    expect(missing.message).toBe('no Slack bot token: FA_SLACK is not set')
    expect(missing.exitCode).toBe(6)

    const dir = await mkdtemp(path.join(os.tmpdir(), 'fa-token-'))
    try {
      await writeFile(path.join(dir, 'token'), `${TOKEN}\n`)
      expect(await readSlackToken({tokenEnv: 'FA_SLACK', tokenFile: 'token'}, {env: {}, dir})).toEqual({
        token: TOKEN,
        source: path.join(dir, 'token'),
      })
      const absent = collect(
        await readSlackToken({tokenEnv: 'FA_SLACK', tokenFile: 'nope'}, {env: {}, dir}).catch((e: unknown) => e),
      )
      expect(absent.message).toContain('ENOENT')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
    expect(redactToken(`Bearer ${TOKEN}`, TOKEN)).toBe('Bearer [redacted token]')
  })

  // Runs last: also checks every error the tests above collected.
  it('never shows the token in any error or outcome', async () => {
    const {server, client, deliverer} = await setup({}, {maxAttempts: 2})
    server.inject({kind: 'error', error: 'channel_not_found', channels: ['C0NOPE']})
    server.inject({kind: 'http-error', status: 500, channels: ['C0ERR'], count: Infinity})
    server.inject({kind: 'hang', channels: ['C0HANG'], count: Infinity})
    const outcomes = await Promise.all(
      [alert('n-1', 'C0NOPE'), alert('n-2', 'C0ERR'), alert('n-3', 'C0HANG')].map((m) => deliverer.deliver(m)),
    )
    expect(outcomes.map((o) => o.error)).toEqual(['channel_not_found', 'http_500', 'timeout'])
    server.inject({kind: 'error', error: 'invalid_auth', method: '*'})
    collect(await checkAuth(client).catch((e: unknown) => e))
    collect(await deliverer.deliver(alert('n-4', 'C0OK')).catch((e: unknown) => e))
    expect(errorTexts.length).toBeGreaterThanOrEqual(2)
    for (const text of [...errorTexts, JSON.stringify(outcomes)]) expect(text).not.toContain(TOKEN)
  })
})

describe('validateSlackMessage', () => {
  const valid = alert('v-1', 'C0VALID')

  it('accepts what buildSlackMessage makes', () => {
    expect(validateSlackMessage(JSON.parse(JSON.stringify(valid)))).toEqual({ok: true, message: valid})
  })

  it.each([
    [{...valid, text: ''}, 'text: empty (it is the notification fallback)'],
    [{...valid, text: 'x'.repeat(4001)}, 'text: longer than 4000'],
    [{...valid, channel: undefined}, 'channel: missing'],
    [{...valid, blocks: Array.from({length: 51}, () => ({type: 'divider'}))}, 'blocks: more than 50 blocks'],
    [
      {...valid, blocks: [{type: 'header', text: {type: 'mrkdwn', text: 'x'}}]},
      'blocks[0].text.type: must be plain_text',
    ],
    [
      {...valid, blocks: [{type: 'header', text: {type: 'plain_text', text: 'x'.repeat(151)}}]},
      'blocks[0].text.text: longer than 150',
    ],
    [
      {...valid, blocks: [{type: 'section', text: {type: 'mrkdwn', text: 'x'.repeat(3001)}}]},
      'blocks[0].text.text: longer than 3000',
    ],
    [
      {
        ...valid,
        blocks: [
          {type: 'divider'},
          {type: 'section', fields: [1, 2, 3].map((n) => ({type: 'mrkdwn', text: 'x'.repeat(n === 3 ? 2001 : 5)}))},
        ],
      },
      'blocks[1].fields[2].text: longer than 2000',
    ],
    [
      {...valid, blocks: [{type: 'section', fields: Array.from({length: 11}, () => ({type: 'mrkdwn', text: 'x'}))}]},
      'blocks[0].fields: more than 10',
    ],
    [
      {...valid, blocks: [{type: 'context', elements: Array.from({length: 11}, () => ({type: 'mrkdwn', text: 'x'}))}]},
      'blocks[0].elements: more than 10',
    ],
    [
      {
        ...valid,
        blocks: Array.from({length: 5}, () => ({type: 'section', text: {type: 'mrkdwn', text: 'x'.repeat(2600)}})),
      },
      'blocks: 13000 characters of text in all, over ~12000 (msg_blocks_too_long)',
    ],
    [
      {...valid, metadata: {...valid.metadata, event_payload: {alert_id: 'other'}}},
      'metadata.event_payload.alert_id: differs from alertId',
    ],
    ['nope', 'payload: must be an object'],
  ])('rejects %#: %s', (payload, reason) => {
    expect(validateSlackMessage(payload)).toEqual({ok: false, reason})
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
