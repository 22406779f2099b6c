// Checks the real broker from test/global-setup.ts: kafkajs round trip, Java-compatible
// partitioning, and interop with kcat (librdkafka) in both directions.
import {execFile} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {Kafka, logLevel, type Admin, type IHeaders, type Producer} from 'kafkajs'

import {silenceKafkajsTimeoutWarning} from '../../src/lib/kafka/patches/node-warnings.js'
import {JAVA_PARTITIONS} from '../support/java-partitions.js'
import {createTopics, onceProducer} from '../support/kafka-io.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-harness-test', brokers: [brokers], logLevel: logLevel.WARN})

type Received = {partition: number; key: string | null; value: string | null; headers: Record<string, string>}

const topicName = (what: string) => `harness-${what}-${randomUUID().slice(0, 8)}`

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]))
}

/** Read `count` messages of `topic` from the beginning with a throwaway group. */
async function consume(topic: string, count: number, timeoutMs = 30_000): Promise<Received[]> {
  const consumer = kafka.consumer({groupId: `harness-${randomUUID()}`, maxWaitTimeInMs: 200})
  const got: Received[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({topic, fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`got ${got.length}/${count} messages from ${topic}`)), timeoutMs)
      consumer
        .run({
          eachMessage: async ({partition, message}) => {
            got.push({
              partition,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: headersToStrings(message.headers),
            })
            if (got.length >= count) resolve()
          },
        })
        .catch(reject)
    })
  } finally {
    clearTimeout(timer)
    // kafkajs' disconnect can hang; never let it hold the test.
    await Promise.race([consumer.disconnect(), new Promise((r) => setTimeout(r, 10_000))])
  }
  return got
}

/** Run kcat with optional stdin; resolves with stdout. */
function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', brokers, ...args], {timeout: 30_000}, (err, stdout, stderr) =>
      err ? reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    )
    child.stdin?.end(input ?? '')
  })
}

let admin: Admin
let producer: Producer

beforeAll(async () => {
  admin = kafka.admin()
  await admin.connect()
  producer = kafka.producer(onceProducer)
  await producer.connect()
})

afterAll(async () => {
  await producer?.disconnect()
  await admin?.disconnect()
})

async function createTopic(what: string, numPartitions = 3) {
  const topic = topicName(what)
  // The shared helper: it also waits out a broker whose metadata has not caught up (under load).
  await createTopics(kafka, [topic], numPartitions)
  return topic
}

describe('kafka harness broker', () => {
  it('gives tests the bootstrap address via inject and env', () => {
    expect(brokers).toMatch(/^[\w.-]+:\d+$/)
    expect(process.env.KAFKA_BROKERS).toBe(brokers)
  })

  it('creates a topic, produces a keyed message and consumes it back', async () => {
    const topic = await createTopic('roundtrip')
    const [meta] = await producer.send({
      topic,
      acks: -1,
      messages: [{key: 'acct-1', value: 'hello kafka', headers: {source: 'harness'}}],
    })
    expect(meta?.errorCode).toBe(0)

    const [msg] = await consume(topic, 1)
    expect(msg).toEqual({partition: 2, key: 'acct-1', value: 'hello kafka', headers: {source: 'harness'}})
  })
})

describe('kafkajs DefaultPartitioner matches the Java client (murmur2)', () => {
  it('lands keys on the Java partitions on the broker', async () => {
    const topic = await createTopic('murmur2', 12)
    const results = await Promise.all(
      JAVA_PARTITIONS.map(({key}) => producer.send({topic, acks: -1, messages: [{key, value: key}]})),
    )
    expect(results.map(([r]) => r?.partition)).toEqual(JAVA_PARTITIONS.map((k) => k.p12))
  })
})

describe('interop with kcat (librdkafka)', () => {
  it('kafkajs reads key, value and header produced by kcat', async () => {
    const topic = await createTopic('kcat-in')
    // murmur2_random is librdkafka's Java-compatible partitioner (its default, consistent_random, is CRC32).
    await kcat(['-P', '-t', topic, '-K:', '-H', 'k=v', '-X', 'partitioner=murmur2_random'], 'acct-42:from kcat\n')

    const [msg] = await consume(topic, 1)
    expect(msg).toEqual({partition: 0, key: 'acct-42', value: 'from kcat', headers: {k: 'v'}})
  })

  it('kcat reads key, header, value and partition produced by kafkajs', async () => {
    const topic = await createTopic('kcat-out')
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {key: 'acct-1', value: 'one', headers: {k: 'v'}},
        {key: 'hello', value: 'two', headers: {k: 'w'}},
      ],
    })

    const out = await kcat(['-C', '-t', topic, '-e', '-q', '-f', '%k %h %s %p\n'])
    const lines = out.trim().split('\n').sort()
    expect(lines).toEqual(['acct-1 k=v one 2', 'hello k=w two 0'])
  })
})
