// A group's committed offsets right after a transaction committed them: with require_stable
// (OffsetFetch v7), never the offsets from before it, which a member taking over would read from.
import {randomUUID} from 'node:crypto'

import {Kafka, logLevel} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {installStableOffsets} from '../../../src/lib/kafka/patches/stable-offsets.js'

const brokers = inject('kafkaBrokers')

describe('stable committed offsets (kafkajs patch)', () => {
  it("answers a transaction's offsets as soon as it has committed", async () => {
    expect(installStableOffsets()).toEqual({active: true})
    const kafka = new Kafka({clientId: 'fa-stable-offsets-test', brokers: [brokers], logLevel: logLevel.NOTHING})
    const topic = `t-stable-offsets-${randomUUID().slice(0, 8)}`
    const groupId = `${topic}.g`
    const admin = kafka.admin()
    await admin.connect()
    const producer = kafka.producer({transactionalId: `${topic}.tx`, idempotent: true, maxInFlightRequests: 1})
    try {
      await admin.createTopics({topics: [{topic, numPartitions: 1}]})
      await producer.connect()
      const answered: string[] = []
      for (let i = 1; i <= 30; i++) {
        const transaction = await producer.transaction()
        await transaction.send({topic, messages: [{value: String(i)}]})
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{topic, partitions: [{partition: 0, offset: String(i)}]}],
        })
        await transaction.commit()
        const [offsets] = await admin.fetchOffsets({groupId, topics: [topic]})
        answered.push(offsets!.partitions[0]!.offset)
      }
      expect(answered).toEqual(Array.from({length: 30}, (_, i) => String(i + 1)))
    } finally {
      await producer.disconnect()
      await admin.deleteTopics({topics: [topic]}).catch(() => {})
      await admin.disconnect()
    }
  })
})
