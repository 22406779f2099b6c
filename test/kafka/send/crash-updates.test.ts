// kill -9 of `fa send --follow` at random points while incidents and their updates flow, then
// restart, three times: the Slack test server is the judge: one DM per incident, never a second,
// and its final content is its last revision.
import {expect, inject, it} from 'vitest'

import type {SlackMessage} from '../../../src/lib/slack/blocks.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {testKafka} from '../../support/kafka-io.js'
import {produceSteadily, sendCrashRig} from '../../support/send-crash.js'
import {responses, until} from '../../support/send.js'

const kafka = testKafka(inject('kafkaBrokers'))
const rig = sendCrashRig(kafka)

const INCIDENTS = 48
const REVISIONS = 3

const revision = (alertId: string, channel: string, n: number): SlackMessage => ({
  ...buildSlackMessage(alertId, 'test-alert', {
    recipient: channel,
    header: `Incident ${alertId}`,
    text: md`revision ${n}`,
  }),
  ...(n > 0 ? {revision: n} : {}),
})

it('kill -9 while incidents are posted and updated, three times: one DM each, ending on its last revision', async () => {
  const config = await rig.open('send-crash-updates', {perSecond: 10, burst: 3})
  const slack = rig.slack
  const channels = Array.from({length: 8}, (_, i) => `C0U${i}`)
  const ids = Array.from({length: INCIDENTS}, (_, i) => `inc-${i}`)
  const channelOf = (i: number) => channels[i % channels.length]!
  // Each round: the next revision of every incident (the posts first), so updates chase their posts.
  const rounds = Array.from({length: REVISIONS + 1}, (_, n) => ids.map((id, i) => revision(id, channelOf(i), n)))

  const producer = (async () => {
    for (const round of rounds) await produceSteadily(kafka, config.topics.messages, round, 150)
  })()
  const faults = setInterval(() => {
    const pick = Math.random()
    const method = Math.random() < 0.5 ? 'chat.update' : 'chat.postMessage'
    if (pick < 0.3) slack.inject({kind: 'drop', method, count: 1})
    else if (pick < 0.5) slack.inject({kind: 'rate-limit', method, count: 2, retryAfter: 1})
    else if (pick < 0.65) slack.inject({kind: 'http-error', method, status: 500, accept: true, count: 1})
  }, 400)

  try {
    await rig.killAndRestart(config, async () => {
      const before = slack.posts.length + slack.updates.length
      const more = 3 + Math.floor(Math.random() * 30)
      await until(() => slack.posts.length + slack.updates.length >= before + more, 30_000, `${more} more calls`)
    })
    await producer
    clearInterval(faults)
    slack.clearFaults()
    await until(
      () => ids.every((id) => slack.postsFor(id)[0]?.text === `revision ${REVISIONS}`),
      60_000,
      'every incident at its last revision',
    )
    await until(
      async () => {
        const recorded = await responses(kafka, config.topics.responses)
        return ids.every((id) => recorded.get(`${id}@${REVISIONS}`)?.ok === true)
      },
      30_000,
      'every last revision recorded',
    )
    await rig.stop()
  } finally {
    clearInterval(faults)
  }

  const twice = ids.filter((id) => slack.postsFor(id).length !== 1).map((id) => `${id}×${slack.postsFor(id).length}`)
  expect(twice).toEqual([])
  expect(slack.posts).toHaveLength(INCIDENTS)
  for (const [i, id] of ids.entries()) {
    const [post] = slack.postsFor(id)
    expect(post!.blocks).toEqual(revision(id, channelOf(i), REVISIONS).blocks)
  }
})
