// TopicFollower.reach: a process that takes a partition over from another must see that one's
// records of what it did (fa send: the post an update changes) before deciding they are missing.
import {randomUUID} from 'node:crypto'

import {describe, expect, inject, it} from 'vitest'

import {TopicFollower} from '../../src/lib/kafka/follow.js'
import {createTopics, sendOnce, testKafka, withAdmin} from '../support/kafka-io.js'

const kafka = testKafka(inject('kafkaBrokers'))

describe('TopicFollower.reach', () => {
  it('resolves once the records written before it was asked are applied; later asks share a read made after their time', async () => {
    const topic = `t-follow-${randomUUID().slice(0, 8)}`
    await createTopics(kafka, [topic], 3)
    await withAdmin(kafka, async (admin) => {
      const seen: string[] = []
      const follower = new TopicFollower({
        kafka,
        admin,
        topics: [topic],
        groupId: `t-follow-${randomUUID()}`,
        onMessages: (_, __, messages) => void seen.push(...messages.map((m) => String(m.value))),
        // A long fetch wait: without reach, records written now would be applied up to 3 s later.
        consumer: {maxWaitTimeInMs: 3_000},
      })
      await follower.start()
      try {
        await sendOnce(kafka, {topic, messages: [0, 1, 2, 3, 4, 5].map((i) => ({key: `k${i}`, value: `v${i}`}))})
        const asked = Date.now()
        expect(await follower.reach(asked)).toBe(true)
        expect(seen.sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5'])
        // Asked for an earlier time: the read made at `asked` covers it, no new read.
        const again = Date.now()
        expect(await follower.reach(asked - 1)).toBe(true)
        expect(Date.now() - again).toBeLessThan(20)
      } finally {
        await follower.stop()
      }
      // Stopped: it can never get there.
      await sendOnce(kafka, {topic, messages: [{value: 'late'}]})
      expect(await follower.reach(Date.now(), 2_000)).toBe(false)
    })
  })
})
