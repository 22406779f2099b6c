// Small helpers for tests that talk to the real test broker (test/global-setup.ts):
// create topics, read topics back to a count, run kcat.
import {execFile} from 'node:child_process'
import {randomUUID} from 'node:crypto'

import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type ITopicConfig,
  type KafkaMessage,
  type Producer,
  type ProducerRecord,
} from 'kafkajs'
import {afterAll, beforeAll} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../src/lib/kafka/patches/node-warnings.js'

silenceKafkajsTimeoutWarning()

export interface Consumed {
  topic: string
  partition: number
  message: KafkaMessage
}

export function testKafka(brokers: string): Kafka {
  return new Kafka({clientId: 'fa-test', brokers: [brokers], logLevel: logLevel.NOTHING})
}

/**
 * Producer options for tests. Idempotent: a send retried under load (a topic created a moment
 * ago) must not write a test's records twice, or what fa makes of them would be counted twice
 * and fa blamed for it.
 */
export const onceProducer = {
  createPartitioner: Partitioners.DefaultPartitioner,
  allowAutoTopicCreation: false,
  idempotent: true,
  maxInFlightRequests: 1,
} as const

/** A producer connected for the tests of the file that calls this (beforeAll, afterAll). */
export function fileProducer(kafka: Kafka): Producer {
  const producer = kafka.producer(onceProducer)
  beforeAll(() => producer.connect())
  afterAll(() => producer.disconnect())
  return producer
}

/** Sends one record with a producer of its own (`onceProducer`), acknowledged by all replicas. */
export async function sendOnce(kafka: Kafka, record: ProducerRecord): Promise<void> {
  const producer = kafka.producer(onceProducer)
  await producer.connect()
  try {
    await producer.send({acks: -1, ...record})
  } finally {
    await producer.disconnect()
  }
}

/** A topic-name prefix unique to one test. */
export const uniquePrefix = (what: string) => `t-${what}-${randomUUID().slice(0, 8)}.`

export async function withAdmin<T>(kafka: Kafka, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await fn(admin)
  } finally {
    await admin.disconnect()
  }
}

/**
 * Creates topics and waits until every partition has a leader. A just-started KRaft broker can
 * answer kafkajs' wait-for-leaders metadata call with UNKNOWN_TOPIC_OR_PARTITION while its
 * metadata cache lags behind the controller, and kafkajs does not retry that error: then the
 * topics are created, and this polls their metadata itself.
 */
export async function createTopics(
  kafka: Kafka,
  topics: Array<string | ITopicConfig>,
  numPartitions = 3,
): Promise<void> {
  const specs = topics.map((topic) =>
    typeof topic === 'string' ? {topic, numPartitions, replicationFactor: 1} : topic,
  )
  const names = specs.map((spec) => spec.topic)
  await withAdmin(kafka, async (admin) => {
    try {
      await admin.createTopics({topics: specs, waitForLeaders: true})
      return
    } catch (error) {
      // Created, but the broker's metadata cache has not caught up yet: not an error, wait below.
      if ((error as {type?: string}).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw error
    }
    const deadline = Date.now() + 15_000
    for (;;) {
      try {
        const {topics: metadata} = await admin.fetchTopicMetadata({topics: names})
        const ready = (t: (typeof metadata)[number]) =>
          t.partitions.length === specs.find((s) => s.topic === t.name)!.numPartitions &&
          t.partitions.every((p) => p.leader >= 0)
        if (metadata.every(ready)) return
      } catch (error) {
        if (Date.now() > deadline) throw error
      }
      if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leaders after 15 s`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })
}

/** Sum of high watermarks: how many records the topics hold. */
export async function recordCount(kafka: Kafka, topics: string[]): Promise<number> {
  return withAdmin(kafka, async (admin) => {
    let total = 0
    for (const topic of topics) {
      for (const {high, low} of await admin.fetchTopicOffsets(topic)) total += Number(high) - Number(low)
    }
    return total
  })
}

/** Reads `count` messages of `topics` from the beginning with a throwaway group; sorted by topic, partition, offset. */
export async function consumeAll(
  kafka: Kafka,
  topics: string[],
  count: number,
  timeoutMs = 30_000,
): Promise<Consumed[]> {
  const consumer = kafka.consumer({groupId: `fa-test-${randomUUID()}`, maxWaitTimeInMs: 100})
  const got: Consumed[] = []
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({topics, fromBeginning: true})
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`got ${got.length}/${count} messages from ${topics.join(', ')}`)),
        timeoutMs,
      )
      consumer
        .run({
          eachMessage: async ({topic, partition, message}) => {
            got.push({topic, partition, message})
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
  return got.sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) ||
      a.partition - b.partition ||
      Number(a.message.offset) - Number(b.message.offset),
  )
}

/** Runs kcat against `brokers` with optional stdin; resolves with stdout. */
export function kcat(brokers: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', brokers, ...args], {timeout: 30_000}, (error, stdout, stderr) =>
      error ? reject(new Error(`kcat ${args.join(' ')} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
    child.stdin?.end(input ?? '')
  })
}
