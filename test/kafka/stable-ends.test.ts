// waitForStableEnds: a cron drain reads its repartition targets right after its last EndTxn,
// before the coordinator has written that transaction's markers; it waits until what the
// topics held then is decided, so a read_committed end offset covers those records.
import {randomUUID} from 'node:crypto'

import {describe, expect, inject, it} from 'vitest'

import {waitForStableEnds} from '../../src/lib/kafka/stable-ends.js'
import {createTopics, testKafka, withAdmin} from '../support/kafka-io.js'

const kafka = testKafka(inject('kafkaBrokers'))

/** A transactional producer with one open transaction holding `n` records on `topic`. */
async function openTransaction(topic: string, n: number) {
  const producer = kafka.producer({
    transactionalId: `t-stable-${randomUUID()}`,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
  const transaction = await producer.transaction()
  await transaction.send({topic, acks: -1, messages: Array.from({length: n}, (_, i) => ({value: `r${i}`}))})
  return {transaction, close: () => producer.disconnect()}
}

const stableEnd = (topic: string) =>
  withAdmin(kafka, async (admin) => Number((await admin.fetchTopicOffsets(topic))[0]!.high))

describe('waitForStableEnds', () => {
  it('waits for an open transaction to commit, then the stable end offset covers its records and marker', async () => {
    const topic = `t-stable-${randomUUID().slice(0, 8)}`
    await createTopics(kafka, [topic], 1)
    const {transaction, close} = await openTransaction(topic, 5)
    try {
      expect(await stableEnd(topic)).toBe(0)
      const started = Date.now()
      setTimeout(() => void transaction.commit(), 500)
      await withAdmin(kafka, (admin) => waitForStableEnds(kafka, admin, [topic]))
      expect(Date.now() - started).toBeGreaterThanOrEqual(450)
      expect(await stableEnd(topic)).toBe(6)
    } finally {
      await close()
    }
  })

  it('gives up after its timeout when a transaction stays open', async () => {
    const topic = `t-stable-${randomUUID().slice(0, 8)}`
    await createTopics(kafka, [topic], 1)
    const {transaction, close} = await openTransaction(topic, 1)
    try {
      const started = Date.now()
      await withAdmin(kafka, (admin) => waitForStableEnds(kafka, admin, [topic], {timeoutMs: 700}))
      expect(Date.now() - started).toBeGreaterThanOrEqual(650)
      expect(await stableEnd(topic)).toBe(0)
      await transaction.abort()
    } finally {
      await close()
    }
  })
})
