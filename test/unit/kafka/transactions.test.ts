// The exactly-once writer's transactions: many submissions per transaction, committed by age or
// on request, and a failed one takes down (and rewinds) everything submitted until its rewind.
import type {Message, Producer} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {silentLogger} from '../../../src/lib/output/log.js'
import type {PartitionOffset} from '../../../src/lib/kafka/requests.js'
import {TransactionLoop} from '../../../src/lib/kafka/transactions.js'

interface Log {
  events: string[]
  failSend?: number
  failCommit?: boolean
  /** AddOffsetsToTxn answers CONCURRENT_TRANSACTIONS this many times first (a commit's markers not written yet). */
  concurrentOffsets?: number
  sendGate?: Promise<void>
}

function fakeProducer(log: Log): Producer {
  let n = 0
  return {
    transaction: async () => {
      const id = ++n
      log.events.push(`begin ${id}`)
      return {
        sendBatch: async ({topicMessages}: {topicMessages: Array<{messages: Message[]}>}) => {
          await log.sendGate
          const values = topicMessages.flatMap((t) => t.messages.map((m) => String(m.value)))
          if (log.failSend !== undefined && values.includes(String(log.failSend))) throw new Error('broker said no')
          log.events.push(`send ${values.join(',')}`)
        },
        sendOffsets: async ({topics}: {topics: Array<{partitions: Array<{partition: number; offset: string}>}>}) => {
          if (log.concurrentOffsets) {
            log.concurrentOffsets--
            log.events.push('offsets: concurrent transactions')
            throw Object.assign(new Error('another operation on the same transaction is ongoing'), {
              type: 'CONCURRENT_TRANSACTIONS',
            })
          }
          log.events.push(`offsets ${topics.flatMap((t) => t.partitions.map((p) => `${p.partition}@${p.offset}`))}`)
        },
        commit: async () => {
          if (log.failCommit) throw new Error('commit timed out')
          log.events.push(`commit ${id}`)
        },
        abort: async () => log.events.push(`abort ${id}`),
      }
    },
  } as unknown as Producer
}

function setup(log: Log, commitIntervalMs = 50) {
  const rewound: string[][] = []
  let resets = 0
  const producer = fakeProducer(log)
  const loop = new TransactionLoop(
    {
      producer: async () => producer,
      reset: async () => void resets++,
      fenced: () => undefined,
      commitCheck: () => {},
      partitionCounts: async () => new Map([['out', 1]]),
    },
    {
      groupId: 'g',
      log: silentLogger,
      commitIntervalMs,
      maxTransactionBytes: 1 << 20,
      maxRequestBytes: 1 << 20,
      maxRequestTotalBytes: 1 << 20,
      maxQueuedBytes: 1 << 20,
      onTransactionFailed: async (partitions: PartitionOffset[]) =>
        void rewound.push(partitions.map((p) => `${p.partition}@${p.offset}`)),
    },
  )
  const submit = (value: number, partition: number, offset: number) =>
    new Promise<void>((resolve, reject) =>
      loop.submit({
        messages: new Map([['out', [{value: String(value)}]]]),
        bytes: 100,
        offsets: [{topic: 'in', partition, offset: String(offset)}],
        resolve,
        reject,
      }),
    )
  return {loop, submit, rewound, resets: () => resets}
}

describe('TransactionLoop', () => {
  it('puts the batches of a commit interval in one transaction, with the highest offset of each partition', async () => {
    const log: Log = {events: []}
    const {submit} = setup(log)
    const first = submit(1, 0, 10)
    await new Promise((r) => setTimeout(r, 5))
    const rest = [submit(2, 1, 20), submit(3, 0, 30)]
    await Promise.all([first, ...rest])
    expect(log.events).toEqual(['begin 1', 'send 1', 'send 2,3', 'offsets 0@30,1@20', 'commit 1'])
  })

  it('sends the offsets again while the coordinator answers CONCURRENT_TRANSACTIONS, rather than aborting', async () => {
    const log: Log = {events: [], concurrentOffsets: 2}
    const {submit, rewound, resets} = setup(log)
    await submit(1, 0, 10)
    expect(log.events).toEqual([
      'begin 1',
      'send 1',
      'offsets: concurrent transactions',
      'offsets: concurrent transactions',
      'offsets 0@10',
      'commit 1',
    ])
    expect(rewound).toEqual([])
    expect(resets()).toBe(0)
  })

  it('commits at once when flushed (before a rebalance), not at the end of the interval', async () => {
    const log: Log = {events: []}
    const {loop, submit} = setup(log, 60_000)
    const written = submit(1, 0, 10)
    const started = Date.now()
    await loop.flush()
    await written
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(log.events.at(-1)).toBe('commit 1')
    await loop.flush() // nothing open: resolves
  })

  it('a failed send aborts the transaction and fails and rewinds what was submitted after it too', async () => {
    let open: () => void = () => {}
    const log: Log = {events: [], failSend: 1, sendGate: new Promise((r) => (open = r))}
    const {submit, rewound, resets} = setup(log)
    const failed = submit(1, 0, 10).catch((e: Error) => e.message)
    await new Promise((r) => setTimeout(r, 5))
    const later = submit(2, 1, 20).catch((e: Error) => e.message)
    open()
    expect(await failed).toBe('broker said no')
    expect(await later).toBe('broker said no')
    expect(log.events).toEqual(['begin 1', 'abort 1'])
    expect(resets()).toBe(1)
    expect(rewound.flat().sort()).toEqual(['0@10', '1@20'])
    // Afterwards it writes again.
    log.failSend = undefined
    await submit(3, 0, 10)
    expect(log.events.slice(2)).toEqual(['begin 2', 'send 3', 'offsets 0@10', 'commit 2'])
  })

  it('a failed commit rewinds every batch of the transaction', async () => {
    const log: Log = {events: [], failCommit: true}
    const {submit, rewound} = setup(log)
    const results = await Promise.allSettled([submit(1, 0, 10), submit(2, 1, 20)])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    expect(rewound).toEqual([['0@10', '1@20']])
    expect(log.events.at(-1)).toBe('abort 1')
  })

  it('room() holds the caller while too much is waiting to be sent', async () => {
    let open: () => void = () => {}
    const log: Log = {events: [], sendGate: new Promise((r) => (open = r))}
    const producer = fakeProducer(log)
    const loop = new TransactionLoop(
      {
        producer: async () => producer,
        reset: async () => {},
        fenced: () => undefined,
        commitCheck: () => {},
        partitionCounts: async () => new Map([['out', 1]]),
      },
      {
        groupId: 'g',
        log: silentLogger,
        commitIntervalMs: 60_000,
        maxTransactionBytes: 1 << 20,
        maxRequestBytes: 1 << 20,
        maxRequestTotalBytes: 1 << 20,
        maxQueuedBytes: 150,
      },
    )
    const done: Array<Promise<void>> = []
    // The first is taken to be sent (held at the gate) and two more wait: 200 bytes, over 150.
    done.push(submitTo(loop))
    await new Promise((r) => setTimeout(r, 5))
    done.push(submitTo(loop), submitTo(loop))
    let roomy = false
    const room = loop.room().then(() => (roomy = true))
    await new Promise((r) => setTimeout(r, 5))
    expect(roomy).toBe(false)
    open()
    await room
    await loop.flush()
    await Promise.all(done)
    expect(log.events).toEqual(['begin 1', 'send x', 'send x,x', 'commit 1'])
  })
})

const submitTo = (loop: TransactionLoop) =>
  new Promise<void>((resolve, reject) =>
    loop.submit({messages: new Map([['out', [{value: 'x'}]]]), bytes: 100, offsets: [], resolve, reject}),
  )
