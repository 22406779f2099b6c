// runSend in-process (no CLI): the shared broker and the Slack test server, the real Deliverer.
import {afterEach, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import type {DryRunItem} from '../../../src/lib/send/dry-run.js'
import {runSend} from '../../../src/lib/send/run.js'
import {connectSlack} from '../../../src/lib/send/slack.js'
import {testKafka} from '../../support/kafka-io.js'
import {alert, committed, endOffsets, produceAlerts, responses, sendConfig, TOKEN} from '../../support/send.js'
import {startSlackServer, type SlackServer} from '../../support/slack-server.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const tuning = {sessionTimeout: 3_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100}

const servers: SlackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('runSend', () => {
  it('a dry run shows every alert and commits nothing; the real run then delivers each once, records it, commits closed', async () => {
    const server = await startSlackServer({token: TOKEN, rate: {perSecond: 20, burst: 5}})
    servers.push(server)
    const setup = await sendConfig(kafka, 'run-send', {apiUrl: server.url})
    const env = {...setup.env, KAFKA_BROKERS: brokers}
    const {config} = await loadConfig(setup.file, env)
    const channels = ['C0AAA', 'C0BBB', 'U0CCC', 'C0DDD']
    const alerts = Array.from({length: 24}, (_, i) => alert(`r-${i}`, channels[i % channels.length]!))
    await produceAlerts(kafka, setup.topics.messages, alerts)
    server.inject({kind: 'rate-limit', count: 2, retryAfter: 1})

    const items: DryRunItem[] = []
    const dry = await runSend({config, env, tuning, onDryRun: (item) => void items.push(item)})
    expect(dry).toMatchObject({dryRun: true, stoppedBy: 'end'})
    expect(dry.counts).toMatchObject({read: 24, wouldPost: 24})
    expect(items.map((i) => i.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort())
    expect(server.posts).toEqual([])
    expect([...(await committed(kafka, setup.group, setup.topics.messages)).values()].map((c) => c.offset)).toEqual([
      -1, -1, -1,
    ])

    const slack = await connectSlack(config, {env})
    const result = await runSend({config, env, tuning, createDeliverer: slack.createDeliverer})
    expect(result.error).toBeUndefined()
    expect(result).toMatchObject({dryRun: false, stoppedBy: 'end', group: setup.group})
    expect(result.counts).toMatchObject({read: 24, delivered: 24, skipped: 0, failed: 0, unfinished: 0})
    expect(result.counts.rateLimited).toBeGreaterThanOrEqual(2)
    for (const a of alerts) expect(server.postsFor(a.alertId), a.alertId).toHaveLength(1)
    const recorded = await responses(kafka, setup.topics.responses)
    expect([...recorded.keys()].sort()).toEqual(alerts.map((a) => a.alertId).sort())
    const offsets = await committed(kafka, setup.group, setup.topics.messages)
    for (const [partition, end] of await endOffsets(kafka, setup.topics.messages)) {
      if (end === 0) continue
      expect(offsets.get(partition)).toEqual({
        offset: end,
        metadata: expect.stringMatching(/^fa-send\/1 state=closed instance=\w+ at=\d+$/),
      })
    }
  })
})
