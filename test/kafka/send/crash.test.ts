// kill -9 of `fa send --follow` while alerts flow, then restart, several times: the Slack test
// server's record of posts is the judge: every alert posted, none twice.
import {expect, inject, it} from 'vitest'

import {runFa} from '../../support/cli.js'
import {testKafka} from '../../support/kafka-io.js'
import {produceSteadily, sendCrashRig} from '../../support/send-crash.js'
import {alert, committed, produceAlerts, responses, until} from '../../support/send.js'

const kafka = testKafka(inject('kafkaBrokers'))
const rig = sendCrashRig(kafka)

it('kill -9 at random points while alerts flow, restart, three times: no alert lost, none posted twice', async () => {
  const config = await rig.open('send-crash', {perSecond: 10, burst: 3})
  const slack = rig.slack
  const channels = Array.from({length: 8}, (_, i) => `C0K${i}`)
  const alerts = Array.from({length: 240}, (_, i) => alert(`k-${i}`, channels[i % channels.length]!))

  // Alerts keep arriving while fa send is killed and restarted; faults keep coming too, among
  // them posts Slack accepts before the connection drops (the crash window in small).
  const producer = produceSteadily(kafka, config.topics.messages, alerts, 250)
  const faults = setInterval(() => {
    const pick = Math.random()
    if (pick < 0.3) slack.inject({kind: 'drop', count: 1})
    else if (pick < 0.5) slack.inject({kind: 'rate-limit', count: 2, retryAfter: 1})
    else if (pick < 0.65) slack.inject({kind: 'http-error', status: 500, accept: true, count: 1})
    else if (pick < 0.75) slack.inject({kind: 'hang', accept: true, count: 1})
    // Stored after fa's request timed out (timeoutMs 1000): a quick re-post would be a double.
    else if (pick < 0.85) slack.inject({kind: 'hang', storeAfterMs: 1_500, count: 1})
  }, 400)

  try {
    await rig.killAndRestart(config, async (kill) => {
      if (kill === 2) {
        // Exactly the crash window: Slack has the post, fa never hears back, and dies.
        const hangs = slack.calls.filter((c) => c.result === 'hang').length
        slack.inject({kind: 'hang', accept: true, count: 1})
        await until(() => slack.calls.filter((c) => c.result === 'hang').length > hangs, 20_000, 'a hung post')
      } else {
        const before = slack.posts.length
        const more = 3 + Math.floor(Math.random() * 25)
        await until(() => slack.posts.length >= Math.min(alerts.length, before + more), 20_000, `${more} more posts`)
      }
    })
    await producer
    clearInterval(faults)
    slack.clearFaults()

    await until(() => alerts.every((a) => slack.postsFor(a.alertId).length > 0), 60_000, 'every alert posted')
    // Every outcome recorded, then a graceful stop.
    await until(
      async () => (await responses(kafka, config.topics.responses)).size === alerts.length,
      30_000,
      'every response recorded',
    )
    await rig.stop()
  } finally {
    clearInterval(faults)
  }

  const duplicates = alerts
    .filter((a) => slack.postsFor(a.alertId).length !== 1)
    .map((a) => `${a.alertId}×${slack.postsFor(a.alertId).length}`)
  expect(duplicates).toEqual([])
  expect(slack.posts).toHaveLength(alerts.length)
  const recorded = await responses(kafka, config.topics.responses)
  for (const a of alerts) {
    const post = slack.postsFor(a.alertId)[0]!
    expect(recorded.get(a.alertId), a.alertId).toMatchObject({ok: true, channel: post.channel, ts: post.ts})
  }
  // The restarts looked alerts up in Slack (the hung post at least) instead of posting them again.
  expect(slack.calls.filter((c) => c.method === 'conversations.history').length).toBeGreaterThan(0)
  // The graceful stop committed everything and closed every partition.
  for (const {offset, metadata} of (await committed(kafka, config.group, config.topics.messages)).values()) {
    expect(offset).toBeGreaterThan(0)
    expect(metadata).toMatch(/state=closed/)
  }
})

it('a signal stops --follow within seconds, recording what was posted; a second signal exits at once; restarts post the rest once', async () => {
  const config = await rig.open('send-stop', {perSecond: 4, burst: 1})
  const slack = rig.slack
  const alerts = Array.from({length: 40}, (_, i) => alert(`g-${i}`, `C0G${i % 2}`))
  await produceAlerts(kafka, config.topics.messages, alerts)

  // First signal: posts in flight finish and are recorded, the rest is left; exit 0 in a few seconds.
  let proc = rig.follow(config)
  await until(() => slack.posts.length >= 6, 20_000, 'some posts')
  const signalled = Date.now()
  proc.child.kill('SIGTERM')
  const first = await proc.exited
  expect(first.code, proc.stderr().slice(-2000)).toBe(0)
  expect(Date.now() - signalled).toBeLessThan(5_000)
  const posted = slack.posts.length
  expect(posted).toBeLessThan(alerts.length)
  const recorded = await responses(kafka, config.topics.responses)
  expect([...recorded.keys()].sort()).toEqual(slack.posts.map((p) => p.alertId).sort())
  const stopped = await committed(kafka, config.group, config.topics.messages)
  expect(
    [...stopped.values()].every((c) => c.metadata?.includes('state=closed') && !c.metadata.includes('doubt-until')),
  ).toBe(true)

  // Second signal while a post hangs (Slack has it): exits at once, leaving it in doubt.
  slack.inject({kind: 'hang', accept: true, count: 1})
  proc = rig.follow(config, {FA_SEND_STOP_GRACE_MS: '60000'})
  await until(() => slack.calls.some((c) => c.result === 'hang'), 20_000, 'a hung post')
  proc.child.kill('SIGTERM')
  await proc.waitForLog((l) => l.msg === 'stopping')
  const again = Date.now()
  proc.child.kill('SIGTERM')
  const second = await proc.exited
  expect(second.code).toBe(143)
  expect(Date.now() - again).toBeLessThan(1_500)

  // A cron run finishes the job: the hung post is found in history, everything else posted once.
  const rest = await runFa(['send', '--json'], {env: config.env})
  expect(rest.code, rest.stderr).toBe(0)
  expect(JSON.parse(rest.stdout).foundInHistory).toBeGreaterThanOrEqual(1)
  for (const a of alerts) expect(slack.postsFor(a.alertId), a.alertId).toHaveLength(1)
  expect((await responses(kafka, config.topics.responses)).size).toBe(alerts.length)
})
