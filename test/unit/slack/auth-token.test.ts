// Slack auth (auth.test, scopes) and the bot token: where it is read from, and never shown.
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {FaError} from '../../../src/lib/errors.js'
import {checkAuth, createSlackClient} from '../../../src/lib/slack/client.js'
import {readSlackToken, redactToken} from '../../../src/lib/slack/token.js'
import {startSlackServer} from '../../support/slack-server.js'
import {alert, closeServers, servers, setup, TIMEOUT_MS, TOKEN} from './harness.js'

afterEach(closeServers)

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

  it("checkAuth reports a URL that is not Slack's Web API as that, not as a refused token", async () => {
    const server = await startSlackServer({token: TOKEN})
    servers.push(server)
    const client = createSlackClient(TOKEN, {apiUrl: `${server.url}wrong/`, timeoutMs: TIMEOUT_MS})
    const error = collect(await checkAuth(client).catch((e: unknown) => e))
    expect(error.message).toMatch(/^Slack at http:\/\/127\.0\.0\.1:\d+\/api\/wrong\/ answered HTTP 404 to auth\.test/)
    expect(error.message).not.toContain('refused the token')
    expect(error.hint).toContain('slack.apiUrl')
    expect(error.exitCode).toBe(6)
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
