// The Slack test server speaks Slack's wire formats: JSON bodies with a bearer token too.
import {afterEach, describe, expect, it} from 'vitest'

import {startSlackServer} from '../../support/slack-server.js'
import {alert, closeServers, servers, TOKEN} from './harness.js'

afterEach(closeServers)

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
