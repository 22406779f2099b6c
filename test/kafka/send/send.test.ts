// `fa send` against the real broker and the Slack test server.
import {readFileSync, writeFileSync} from 'node:fs'

import {afterEach, describe, expect, inject, it} from 'vitest'

import {runFa} from '../../support/cli.js'
import {testKafka} from '../../support/kafka-io.js'
import {startSlackServer, type SlackServer, type SlackServerOptions} from '../../support/slack-server.js'
import {
  alert,
  committed,
  endOffsets,
  produceAlerts,
  readTopic,
  responses,
  sendConfig,
  TOKEN,
} from '../../support/send.js'

const kafka = testKafka(inject('kafkaBrokers'))

const servers: SlackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

async function setup(
  what: string,
  serverOptions: SlackServerOptions = {},
  slack: Parameters<typeof sendConfig>[2] extends infer T ? Partial<T> : never = {},
) {
  const server = await startSlackServer({token: TOKEN, rate: {perSecond: 20, burst: 5}, ...serverOptions})
  servers.push(server)
  const config = await sendConfig(kafka, what, {apiUrl: server.url, ...slack})
  return {server, config}
}

const RESPONSE_FIELDS = ['alertId', 'attempts', 'channel', 'deliveredAt', 'error', 'firstAttemptAt', 'ok', 'ts']

describe('fa send', () => {
  it('delivers every alert exactly once through 429 storms, 5xx and timeouts, records every outcome, commits to the end', async () => {
    const {server, config} = await setup('send-faults')
    const channels = ['C0AAA', 'C0BBB', 'C0CCC', 'C0DDD', 'U0EEE', 'C0FFF']
    const alerts = Array.from({length: 60}, (_, i) => alert(`a-${i}`, channels[i % channels.length]!))
    await produceAlerts(kafka, config.topics.messages, alerts)
    server.inject({kind: 'rate-limit', count: 10, retryAfter: 1})
    server.inject({kind: 'http-error', status: 503, count: 2})
    server.inject({kind: 'http-error', status: 500, count: 1, accept: true})
    server.inject({kind: 'hang', count: 1})
    server.inject({kind: 'hang', count: 1, accept: true})
    server.inject({kind: 'drop', count: 2})
    server.inject({kind: 'error', error: 'internal_error', count: 1})

    const {code, stdout, stderr} = await runFa(['send', '--json'], {env: config.env})
    expect(code, stderr).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary).toMatchObject({
      read: 60,
      delivered: 60,
      skipped: 0,
      failed: 0,
      invalid: 0,
      deadLettered: 0,
      unfinished: 0,
      group: config.group,
    })
    expect(summary.rateLimited).toBeGreaterThanOrEqual(10)
    expect(summary.retries).toBeGreaterThan(0)
    expect(summary.foundInHistory).toBeGreaterThanOrEqual(2)

    for (const a of alerts) expect(server.postsFor(a.alertId), a.alertId).toHaveLength(1)
    expect(server.posts).toHaveLength(60)
    // Per channel in the order produced within each partition: at least every channel got all of its alerts.
    const recorded = await responses(kafka, config.topics.responses)
    expect(recorded.size).toBe(60)
    for (const a of alerts) {
      const r = recorded.get(a.alertId)!
      expect(Object.keys(r).sort()).toEqual(RESPONSE_FIELDS)
      const post = server.postsFor(a.alertId)[0]!
      expect(r).toMatchObject({alertId: a.alertId, ok: true, channel: post.channel, ts: post.ts, error: null})
    }
    // Committed to the end offsets, closed cleanly (nothing in doubt).
    const ends = await endOffsets(kafka, config.topics.messages)
    const offsets = await committed(kafka, config.group, config.topics.messages)
    for (const [partition, end] of ends) {
      if (end === 0) continue
      expect(offsets.get(partition)!.offset).toBe(end)
      expect(offsets.get(partition)!.metadata).toMatch(/^fa-send\/1 state=closed instance=\w+ at=\d+$/)
    }
    expect(await readTopic(kafka, config.topics.deadLetters)).toEqual([])
  })

  it('records and dead-letters permanent failures and invalid payloads; invalid ones are never posted', async () => {
    const {server, config} = await setup('send-fail')
    server.inject({kind: 'error', error: 'channel_not_found', channels: ['C0GONE'], count: Infinity})
    const good = [alert('ok-1', 'C0FINE'), alert('ok-2', 'C0FINE')]
    const gone = alert('gone-1', 'C0GONE')
    const tooManyBlocks = {
      ...alert('bad-blocks', 'C0FINE'),
      blocks: Array.from({length: 51}, () => ({type: 'divider'})),
    }
    const noText = {...alert('bad-text', 'C0FINE'), text: ''}
    await produceAlerts(
      kafka,
      config.topics.messages,
      [...good, gone],
      [
        {
          key: 'bad-blocks',
          value: JSON.stringify(tooManyBlocks),
          headers: {'fa-pipeline': 'test-alert', 'x-trace': 't-1'},
        },
        {key: 'bad-text', value: JSON.stringify(noText)},
        {key: 'not-json', value: Buffer.from('{"alertId": "not-json", oops')},
      ],
    )

    const {code, stdout, stderr} = await runFa(['send', '--json'], {env: config.env})
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({
      read: 6,
      delivered: 2,
      failed: 1,
      invalid: 3,
      deadLettered: 4,
      skipped: 0,
    })

    expect(server.posts.map((p) => p.alertId).sort()).toEqual(['ok-1', 'ok-2'])
    // The invalid ones never reached Slack at all.
    expect(server.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(3)

    const recorded = await responses(kafka, config.topics.responses)
    expect(recorded.get('gone-1')).toMatchObject({
      ok: false,
      channel: 'C0GONE',
      ts: null,
      error: 'channel_not_found',
      attempts: 1,
      deliveredAt: null,
    })
    expect(recorded.get('bad-blocks')).toMatchObject({ok: false, ts: null, attempts: 0, firstAttemptAt: null})
    expect(recorded.get('bad-blocks')!.error).toMatch(/^invalid Slack message: blocks: more than 50 blocks/)
    expect(recorded.get('bad-text')!.error).toMatch(/^invalid Slack message: text: /)
    expect(recorded.get('not-json')!.error).toMatch(/^invalid Slack message: value is not valid JSON/)
    for (const r of recorded.values()) expect(Object.keys(r).sort()).toEqual(RESPONSE_FIELDS)

    const deadLetters = await readTopic(kafka, config.topics.deadLetters)
    expect(deadLetters.map((d) => d.key).sort()).toEqual(['bad-blocks', 'bad-text', 'gone-1', 'not-json'])
    const source = (await readTopic(kafka, config.topics.messages)).find((m) => m.key === 'bad-blocks')!
    const dl = deadLetters.find((d) => d.key === 'bad-blocks')!
    // The original bytes and headers, plus why and where from.
    expect(dl.value!.equals(source.value!)).toBe(true)
    expect(dl.headers).toMatchObject({
      'x-trace': 't-1',
      'fa-pipeline': 'test-alert',
      'fa-source-topic': config.topics.messages,
      'fa-source-partition': String(source.partition),
      'fa-source-offset': source.offset,
    })
    expect(dl.headers['fa-error']).toMatch(/^invalid Slack message: blocks/)
    expect(deadLetters.find((d) => d.key === 'gone-1')!.headers['fa-error']).toBe('Slack: channel_not_found')
    expect(deadLetters.find((d) => d.key === 'not-json')!.value!.toString()).toBe('{"alertId": "not-json", oops')
  })

  it('skips alerts that already have a successful response: duplicates, a second run, another group', async () => {
    const {server, config} = await setup('send-skip')
    const alerts = Array.from({length: 12}, (_, i) => alert(`s-${i}`, `C0S${i % 4}`))
    await produceAlerts(kafka, config.topics.messages, alerts)
    const first = await runFa(['send', '--json'], {env: config.env})
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({read: 12, delivered: 12})

    // Nothing new: nothing read.
    const idle = await runFa(['send', '--json'], {env: config.env})
    expect(JSON.parse(idle.stdout)).toMatchObject({read: 0, delivered: 0, skipped: 0})

    // The same alerts again (an upstream replay) plus a new one: only the new one is posted.
    await produceAlerts(kafka, config.topics.messages, [...alerts.slice(0, 5), alert('s-new', 'C0S1')])
    const second = await runFa(['send', '--json'], {env: config.env})
    expect(second.code, second.stderr).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({read: 6, delivered: 1, skipped: 5})

    // Another process in another group reading everything from the start posts nothing again.
    const other = await runFa(['send', '--json', '--group', `${config.group}-other`], {env: config.env})
    expect(other.code, other.stderr).toBe(0)
    expect(JSON.parse(other.stdout)).toMatchObject({read: 18, delivered: 0, skipped: 18})

    for (const a of [...alerts, alert('s-new', 'C0S1')]) expect(server.postsFor(a.alertId), a.alertId).toHaveLength(1)
    expect(server.posts).toHaveLength(13)
    // A clean run leaves nothing in doubt: no history lookups at all.
    expect(server.calls.filter((c) => c.method === 'conversations.history')).toEqual([])
  })

  it('stops with exit 6 on a bad token or a missing scope, and never shows the token', async () => {
    const {server, config} = await setup('send-auth')
    await produceAlerts(kafka, config.topics.messages, [alert('x-1', 'C0AUTH')])
    const wrong = 'xoxb-9999-9999-WrongSecretToken'
    const bad = await runFa(['send'], {env: {...config.env, SLACK_BOT_TOKEN: wrong}})
    expect(bad.code).toBe(6)
    expect(bad.stderr).toMatch(
      /Slack auth failed: Slack rejected the bot token \[invalid_auth\]; token from SLACK_BOT_TOKEN/,
    )
    expect(
      bad.stderr
        .trim()
        .split('\n')
        .filter((l) => l.includes('Error:')),
    ).toHaveLength(1)
    expect(bad.stdout + bad.stderr).not.toContain(wrong)

    const missing = await runFa(['send'], {env: {...config.env, SLACK_BOT_TOKEN: ''}})
    expect(missing.code).toBe(6)
    expect(missing.stderr).toContain('no Slack bot token: SLACK_BOT_TOKEN is not set')

    const narrow = await startSlackServer({token: TOKEN, scopes: ['chat:write']})
    servers.push(narrow)
    const narrowFile = config.file.replace(/\.yaml$/, '.narrow.yaml')
    writeFileSync(narrowFile, readFileSync(config.file, 'utf8').replace(server.url, narrow.url))
    const scoped = await runFa(['send'], {env: {...config.env, FA_CONFIG: narrowFile}})
    expect(scoped.code).toBe(6)
    expect(scoped.stderr).toMatch(
      /the bot token lacks a scope \(needs channels:history, im:history, im:write\) \[missing_scope\]/,
    )
    expect(server.calls.filter((c) => c.method !== 'auth.test')).toEqual([])

    const ok = await runFa(['send'], {env: config.env})
    expect(ok.code, ok.stderr).toBe(0)
    expect(server.posts.map((p) => p.alertId)).toEqual(['x-1'])
    server.posts.length = 0

    // Revoked mid-run: stops at once with exit 6; what was delivered is recorded and committed, nothing else.
    await produceAlerts(
      kafka,
      config.topics.messages,
      Array.from({length: 6}, (_, i) => alert(`r-${i}`, 'C0REV')),
    )
    server.inject({kind: 'error', error: 'token_revoked', channels: ['C0REV'], count: Infinity})
    const revoked = await runFa(['send'], {env: config.env})
    expect(revoked.code).toBe(6)
    expect(revoked.stderr).toMatch(/Slack auth failed: the bot token was revoked \[token_revoked\]/)
    expect(revoked.stdout + revoked.stderr).not.toContain(TOKEN)
    expect(server.posts).toEqual([])
    const recorded = await responses(kafka, config.topics.responses)
    expect([...recorded.keys()]).toEqual(['x-1'])
    for (const topic of Object.values(config.topics)) {
      for (const r of await readTopic(kafka, topic)) {
        expect(JSON.stringify(r.headers) + (r.value?.toString('utf8') ?? '')).not.toContain(TOKEN)
      }
    }
  })

  it('--dry-run renders what would be posted without Slack, a token or a commit; --json gives JSON Lines', async () => {
    const {server, config} = await setup('send-dry')
    await produceAlerts(
      kafka,
      config.topics.messages,
      [alert('d-1', 'C0DRY'), alert('d-2', 'U0DRY')],
      [{key: 'd-bad', value: '{"alertId":"d-bad"}'}],
    )
    const env = {...config.env, SLACK_BOT_TOKEN: ''}
    const human = await runFa(['send', '--dry-run'], {env})
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toContain('▶ test-alert → C0DRY  d-1')
    expect(human.stdout).toContain('Alert d-2')
    expect(human.stdout).toMatch(
      /✗ dead letter \S+slack-messages\[\d\]@\d+ send: invalid Slack message: channel: missing/,
    )
    expect(human.stdout).toMatch(
      /dry run: 3 messages read: 2 would be posted, 0 skipped \(already delivered\), 0 expired \(too old to send\), 1 invalid/,
    )

    const json = await runFa(['send', '--dry-run', '--json', '--channel', 'C0STAGE'], {env})
    expect(json.code, json.stderr).toBe(0)
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.action, l.alertId, l.channel ?? null]).sort()).toEqual([
      ['dead-letter', 'd-bad', null],
      ['post', 'd-1', 'C0STAGE'],
      ['post', 'd-2', 'C0STAGE'],
    ])
    expect(lines.find((l) => l.alertId === 'd-1').message).toMatchObject({
      channel: 'C0STAGE',
      text: expect.any(String),
      metadata: {event_type: 'fa_alert'},
    })
    expect(JSON.parse(json.stderr.trim().split('\n').at(-1)!)).toMatchObject({
      read: 3,
      wouldPost: 2,
      invalid: 1,
      dryRun: true,
    })
    expect(server.calls).toEqual([])
    expect(await responses(kafka, config.topics.responses)).toEqual(new Map())
    expect(
      [...(await committed(kafka, config.group, config.topics.messages)).values()].every((c) => c.offset === -1),
    ).toBe(true)

    // A real run after it still has everything to do.
    const real = await runFa(['send', '--json'], {env: config.env})
    expect(JSON.parse(real.stdout)).toMatchObject({read: 3, delivered: 2, invalid: 1})
    // And a dry run afterwards shows nothing left.
    const after = await runFa(['send', '--dry-run'], {env})
    expect(after.stdout).toContain('dry run: 0 messages read')
  })

  it('--channel posts everything to one channel and records where it went', async () => {
    const {server, config} = await setup('send-channel')
    const alerts = [alert('c-1', 'C0ONE'), alert('c-2', 'C0TWO'), alert('c-3', 'U0THREE')]
    await produceAlerts(kafka, config.topics.messages, alerts)
    const {code, stdout, stderr} = await runFa(['send', '--json', '--channel', 'C0STAGING'], {env: config.env})
    expect(code, stderr).toBe(0)
    expect(JSON.parse(stdout)).toMatchObject({read: 3, delivered: 3, channel: 'C0STAGING'})
    expect(server.posts.map((p) => [p.alertId, p.requested])).toEqual(
      expect.arrayContaining(alerts.map((a) => [a.alertId, 'C0STAGING'])),
    )
    expect(server.posts).toHaveLength(3)
    const recorded = await responses(kafka, config.topics.responses)
    for (const a of alerts) expect(recorded.get(a.alertId)).toMatchObject({ok: true, channel: 'C0STAGING'})
  })
})
