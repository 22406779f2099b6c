// The at-least-once writer: several produce rounds in flight, each round's requests in order, and room() holds callers back while
// too many submitted bytes are not acknowledged yet.
import type {Kafka, Message, Producer} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {OutputWriter} from '../../../src/lib/kafka/writer.js'

function fakeKafka() {
  const pending: Array<{values: string[]; ack: () => void; fail: (error: Error) => void}> = []
  const producer = {
    connect: async () => {},
    disconnect: async () => {},
    sendBatch: ({topicMessages}: {topicMessages: Array<{messages: Message[]}>}) =>
      new Promise<void>((ack, fail) =>
        pending.push({values: topicMessages.flatMap((t) => t.messages.map((m) => String(m.value))), ack, fail}),
      ),
  } as unknown as Producer
  return {kafka: {producer: () => producer} as unknown as Kafka, pending}
}

const tick = () => new Promise((r) => setTimeout(r, 0))
/** The producer connects asynchronously (kafkajs is imported the first time). */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5))
}
const one = (value: string) => new Map([['out', [{value}]]])

describe('OutputWriter at-least-once', () => {
  it('sends up to maxFlushesInFlight rounds at once, each resolving its own submissions', async () => {
    const {kafka, pending} = fakeKafka()
    const writer = new OutputWriter({kafka, groupId: 'g', maxFlushesInFlight: 2})
    const done: string[] = []
    for (const v of ['a', 'b', 'c']) void writer.submit(one(v), 10).then(() => done.push(v))
    await until(() => pending.length >= 2)
    await tick()
    expect(pending.map((p) => p.values)).toEqual([['a'], ['b']])
    pending[1]!.ack()
    await tick()
    expect(done).toEqual(['b'])
    // The third goes out once a round is done.
    expect(pending.map((p) => p.values)).toEqual([['a'], ['b'], ['c']])
  })

  it('one round at a time by default, merging what was submitted meanwhile', async () => {
    const {kafka, pending} = fakeKafka()
    const writer = new OutputWriter({kafka, groupId: 'g'})
    for (const v of ['a', 'b', 'c']) void writer.submit(one(v), 10)
    await until(() => pending.length >= 1)
    await tick()
    expect(pending.map((p) => p.values)).toEqual([['a']])
    pending[0]!.ack()
    await tick()
    expect(pending.map((p) => p.values)).toEqual([['a'], ['b', 'c']])
  })

  it("sends a flush's requests one after another, so a key's records keep their order", async () => {
    const {kafka, pending} = fakeKafka()
    const writer = new OutputWriter({kafka, groupId: 'g', maxRequestBytes: 100})
    const values = Array.from({length: 6}, (_, i) => ({key: 'k', value: `v${i}-${'x'.repeat(30)}`}))
    let done = false
    void writer.submit(new Map([['out', values]]), 300).then(() => (done = true))
    await until(() => pending.length >= 1)
    await tick()
    expect(pending).toHaveLength(1)
    while (!done) {
      const sent = pending.length
      pending.at(-1)!.ack()
      await until(() => done || pending.length > sent)
    }
    expect(pending.length).toBeGreaterThan(1)
    expect(pending.flatMap((p) => p.values)).toEqual(values.map((v) => v.value))
  })

  it('writes to ordered topics one round at a time; those queued behind a failed one fail unsent', async () => {
    const {kafka, pending} = fakeKafka()
    const writer = new OutputWriter({kafka, groupId: 'g', maxFlushesInFlight: 4, orderedTopics: new Set(['state'])})
    const ordered = (value: string) =>
      new Map([
        ['state', [{value}]],
        ['out', [{value: `${value}-alert`}]],
      ])
    const settled: string[] = []
    const track = (name: string, written: Promise<void>) =>
      void written.then(
        () => settled.push(`${name} ok`),
        () => settled.push(`${name} failed`),
      )
    track('a', writer.submit(ordered('a'), 10))
    track('b', writer.submit(ordered('b'), 10))
    track('plain', writer.submit(one('p'), 10))
    await until(() => pending.length >= 2)
    await tick()
    // b waits behind a; plain records do not.
    expect(pending.map((p) => p.values)).toEqual([['a', 'a-alert'], ['p']])
    pending[0]!.fail(new Error('refused'))
    await tick()
    expect(settled).toEqual(['a failed', 'b failed'])
    expect(writer.failures).toBe(1)
    // What comes after the failure is written.
    track('c', writer.submit(ordered('c'), 10))
    await tick()
    expect(pending.map((p) => p.values)).toEqual([['a', 'a-alert'], ['p'], ['c', 'c-alert']])
    pending[2]!.ack()
    pending[1]!.ack()
    await tick()
    expect(settled).toEqual(['a failed', 'b failed', 'c ok', 'plain ok'])
  })

  it('room() waits while more than eight requests of bytes are not acknowledged', async () => {
    const {kafka, pending} = fakeKafka()
    const writer = new OutputWriter({kafka, groupId: 'g', maxRequestBytes: 100, maxFlushesInFlight: 4})
    void writer.submit(one('a'), 500)
    await writer.room()
    void writer.submit(one('b'), 500)
    await until(() => pending.length >= 2)
    let roomy = false
    void writer.room().then(() => (roomy = true))
    await tick()
    expect(roomy).toBe(false)
    pending[0]!.ack()
    await tick()
    expect(roomy).toBe(true)
  })
})
