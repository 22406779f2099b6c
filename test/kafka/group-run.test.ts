// GroupRun, the consume loop enrich (and send) run on, against the real broker: a drain ends at
// the end offsets seen at start even when the last records are transaction markers, and a
// follow run ends on its signal.
import {randomUUID} from 'node:crypto'

import {Partitioners} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../src/lib/config/load.js'
import {connectAdmin, createKafka, disconnectQuietly} from '../../src/lib/kafka/client.js'
import {GroupRun, type GroupRunOptions} from '../../src/lib/kafka/group-run.js'
import {defaultTuning} from '../../src/lib/kafka/tuning.js'
import {silentLogger} from '../../src/lib/output/log.js'
import {createTopics, testKafka, uniquePrefix} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = kafka.producer({
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
  transactionalId: `group-run-test-${randomUUID()}`,
  idempotent: true,
  maxInFlightRequests: 1,
})

beforeAll(() => producer.connect())
afterAll(() => producer.disconnect())

/** A GroupRun over `topic` that commits each batch and counts the records it is given. */
async function groupRun(topic: string, options: Partial<GroupRunOptions>) {
  const {config} = await loadConfig(undefined, env)
  const client = await createKafka(config, {env})
  const admin = await connectAdmin(client, config)
  const seen: string[] = []
  const run = new GroupRun({
    kafka: client,
    admin,
    config,
    group: `${topic}-g`,
    topics: [topic],
    tuning: {...defaultTuning, maxWaitTimeInMs: 100},
    follow: false,
    signal: new AbortController().signal,
    log: silentLogger,
    autoCommit: true,
    onCrash: 'fail',
    eachBatch: async ({batch, pause}) => {
      seen.push(...batch.messages.map((m) => m.value!.toString()))
      if (run.drain?.advance(batch.topic, batch.partition, Number(batch.lastOffset()) + 1)) pause()
    },
    ...options,
  })
  return {run, seen, close: async () => (await run.close(), await disconnectQuietly(admin))}
}

describe('GroupRun', () => {
  it('drains to the end offsets seen at start, past trailing transaction markers', async () => {
    const topic = `${uniquePrefix('group-run')}events`
    await createTopics(kafka, [topic], 1)
    const transaction = await producer.transaction()
    await transaction.send({topic, acks: -1, messages: ['a', 'b', 'c'].map((value) => ({value}))})
    await transaction.commit()
    // One record batch per fetch (the broker returns at least one): the marker comes on its own, in a batch
    // that never reaches eachBatch.
    const tuning = {...defaultTuning, maxWaitTimeInMs: 100, maxBytesPerPartition: 1, maxBytes: 1}
    const {run, seen, close} = await groupRun(topic, {pollCommitted: false, tuning})
    try {
      const drain = await run.fetchDrain()
      expect(drain?.total).toBe(4) // three records and the commit marker
      expect(await run.consume()).toEqual({stoppedBy: 'end'})
      expect(seen).toEqual(['a', 'b', 'c'])
    } finally {
      await close()
    }
  })

  it('follows until its signal aborts', async () => {
    const topic = `${uniquePrefix('group-run-follow')}events`
    await createTopics(kafka, [topic], 1)
    const stop = new AbortController()
    const {run, close} = await groupRun(topic, {follow: true, signal: stop.signal})
    try {
      expect(await run.fetchDrain()).toBeUndefined()
      const ended = run.consume()
      setTimeout(() => stop.abort(), 500)
      expect(await ended).toEqual({stoppedBy: 'signal'})
    } finally {
      await close()
    }
  })
})
