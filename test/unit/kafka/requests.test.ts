// Produce requests cut per partition: several partitions' worth in one request, none over the broker's per-batch limit.
import {createRequire} from 'node:module'

import type {Message} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {cutByPartition, messageBytes, type Submission} from '../../../src/lib/kafka/requests.js'

const require = createRequire(import.meta.url)
const {DefaultPartitioner} = require('kafkajs').Partitioners as {
  DefaultPartitioner: () => (a: {topic: string; partitionMetadata: unknown[]; message: Message}) => number
}

const submission = (topic: string, messages: Message[]): Submission => ({
  messages: new Map([[topic, messages]]),
  bytes: messages.reduce((n, m) => n + messageBytes(m), 0),
  offsets: [],
  resolve: () => {},
  reject: () => {},
})

describe('cutByPartition', () => {
  const keyed = (n: number) =>
    Array.from({length: n}, (_, i) => ({key: `user${i}@example.com`, value: 'x'.repeat(1000)}) as Message)

  it("puts each keyed message in the partition kafkajs' default partitioner picks", () => {
    const messages = keyed(200)
    cutByPartition([submission('out', messages)], new Map([['out', 6]]), 900_000, 8 << 20)
    const partitioner = DefaultPartitioner()
    const partitionMetadata = Array.from({length: 6}, (_, i) => ({partitionId: i, leader: 1}))
    for (const m of messages)
      expect(m.partition).toBe(partitioner({topic: 'out', partitionMetadata, message: {...m, partition: undefined}}))
  })

  it('fills a request with several partitions, each under its limit, and cuts when one is full', () => {
    const messages = keyed(3_000)
    const requests = cutByPartition([submission('out', messages)], new Map([['out', 6]]), 250_000, 1 << 20)
    // 3.2 MB over 6 partitions in requests of up to 1 MiB: four or five, not thirteen (250 KB each).
    expect(requests.length).toBeLessThanOrEqual(5)
    for (const request of requests) {
      const perPartition = new Map<number, number>()
      for (const m of request[0]!.messages)
        perPartition.set(m.partition!, (perPartition.get(m.partition!) ?? 0) + messageBytes(m))
      for (const bytes of perPartition.values()) expect(bytes).toBeLessThanOrEqual(250_000)
      expect([...perPartition.values()].reduce((a, b) => a + b)).toBeLessThanOrEqual(1 << 20)
    }
    expect(requests.flatMap((r) => r[0]!.messages)).toEqual(messages)
  })

  it('spreads keyless messages over the partitions and keeps a partition given', () => {
    const messages = [
      ...Array.from({length: 12}, () => ({key: null, value: 'v'}) as Message),
      {key: 'k', value: 'v', partition: 5},
    ]
    cutByPartition([submission('out', messages)], new Map([['out', 4]]), 900_000, 8 << 20)
    expect(new Set(messages.slice(0, 12).map((m) => m.partition))).toEqual(new Set([0, 1, 2, 3]))
    expect(messages[12]!.partition).toBe(5)
  })
})
