// Incident updates through runSend: the shared broker, the Slack test server (which learns
// chat.update), the real Deliverer. The alerts are the shipped golden output of the seed fixture.
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {runSend} from '../../../src/lib/send/run.js'
import {connectSlack} from '../../../src/lib/send/slack.js'
import type {SlackMessage} from '../../../src/lib/slack/blocks.js'
import {root} from '../../support/cli.js'
import {testKafka} from '../../support/kafka-io.js'
import {alert, produceAlerts, readTopic, responses, sendConfig, TOKEN} from '../../support/send.js'
import {startSlackServer, type SlackServer} from '../../support/slack-server.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const tuning = {sessionTimeout: 3_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100}

const servers: SlackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

/** The golden file's alerts and updates, in order. */
const golden = (): SlackMessage[] =>
  readFileSync(path.join(root, 'fixtures/provisioning.expected.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as {topic: string; value: SlackMessage})
    .filter((record) => record.topic === 'slack-messages')
    .map((record) => record.value)

describe('runSend with incident updates', () => {
  it('each incident is one DM whose final content is its last revision; a second run applies nothing again', async () => {
    const server = await startSlackServer({token: TOKEN, rate: {perSecond: 20, burst: 5}})
    servers.push(server)
    const setup = await sendConfig(kafka, 'updates', {apiUrl: server.url})
    const env = {...setup.env, KAFKA_BROKERS: brokers}
    const {config} = await loadConfig(setup.file, env)
    const messages = golden()
    // An alert whose post fails for good (no such channel), then an update of it.
    const doomed = alert('fa-doomed', 'C0GONE')
    server.inject({kind: 'error', error: 'channel_not_found', channels: ['C0GONE'], count: Infinity})
    await produceAlerts(kafka, setup.topics.messages, [...messages, doomed, {...doomed, revision: 1}])
    // A transient failure on an update is retried, not posted anew.
    server.inject({kind: 'http-error', method: 'chat.update', status: 503})

    const slack = await connectSlack(config, {env})
    const result = await runSend({config, env, tuning, createDeliverer: slack.createDeliverer})
    expect(result.error).toBeUndefined()
    expect(result.counts).toMatchObject({read: messages.length + 2, failed: 2, unfinished: 0})

    const last = new Map<string, SlackMessage>()
    for (const m of messages) last.set(m.alertId, m)
    expect(server.posts).toHaveLength(last.size)
    for (const [alertId, final] of last) {
      const [post] = server.postsFor(alertId)
      expect(post, alertId).toBeDefined()
      expect(post!.text).toBe(final.text)
      expect(post!.blocks).toEqual(final.blocks)
      expect(post!.updates).toBe(final.revision ?? 0)
    }
    expect(server.updates.some((u) => u.text?.startsWith('✅ *Resolved*'))).toBe(true)

    const recorded = await responses(kafka, setup.topics.responses)
    const updates = messages.filter((m) => m.revision)
    for (const m of updates)
      expect(recorded.get(`${m.alertId}@${m.revision}`)).toMatchObject({ok: true, revision: m.revision})
    expect(recorded.get('fa-doomed@1')).toMatchObject({ok: false, revision: 1})
    const deadLetters = await readTopic(kafka, setup.topics.deadLetters)
    expect(deadLetters.map((d) => d.headers['fa-error'])).toEqual([
      'Slack: channel_not_found',
      'update 1 of an alert whose post failed: channel_not_found',
    ])

    // Everything is recorded: replaying the same records posts and updates nothing.
    await produceAlerts(kafka, setup.topics.messages, messages)
    const again = await runSend({config, env, tuning, createDeliverer: slack.createDeliverer})
    expect(again.counts).toMatchObject({read: messages.length, skipped: messages.length, delivered: 0})
    expect(server.posts).toHaveLength(last.size)
  })
})
