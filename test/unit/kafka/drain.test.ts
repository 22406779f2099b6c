import {describe, expect, it} from 'vitest'

import {DrainTracker} from '../../../src/lib/kafka/drain.js'

const settled = async (p: Promise<unknown>) => {
  let done = false
  void p.then(() => (done = true))
  await new Promise((r) => setTimeout(r, 0))
  return done
}

describe('DrainTracker.thenDrain', () => {
  it('drains the targets it gives once the first ones are done, and only then is done', async () => {
    const drain = new DrainTracker([{topic: 'src', partition: 0, from: 0, target: 10}])
    let asked = 0
    drain.thenDrain(async () => {
      asked++
      return [
        {topic: 'rep', partition: 0, from: 3, target: 8},
        {topic: 'rep', partition: 1, from: 5, target: 5},
      ]
    })
    expect(drain.advance('rep', 0, 8)).toBe(false)
    expect(drain.advance('src', 0, 10)).toBe(true)
    expect(await settled(drain.done)).toBe(false)
    expect(asked).toBe(1)
    expect(drain.targetOf('rep', 0)).toBe(8)
    expect(drain.advance('rep', 0, 8)).toBe(true)
    expect(await settled(drain.done)).toBe(true)
    expect(asked).toBe(1)
  })

  it('is done when the next targets are already reached, or cannot be read', async () => {
    const reached = new DrainTracker([{topic: 'src', partition: 0, from: 0, target: 1}])
    reached.thenDrain(async () => [{topic: 'rep', partition: 0, from: 4, target: 4}])
    reached.advance('src', 0, 1)
    expect(await settled(reached.done)).toBe(true)
    const failing = new DrainTracker([{topic: 'src', partition: 0, from: 0, target: 1}])
    failing.thenDrain(() => Promise.reject(new Error('no broker')))
    failing.advance('src', 0, 1)
    expect(await settled(failing.done)).toBe(true)
  })
})

describe('DrainTracker.whenAllProcessed', () => {
  /** Two source partitions to drain, and how often the tracker told that all were processed. */
  const twoPartitions = () => {
    const drain = new DrainTracker([
      {topic: 'src', partition: 0, from: 0, target: 10},
      {topic: 'src', partition: 1, from: 0, target: 4},
    ])
    const told = {count: 0}
    drain.whenAllProcessed(() => told.count++)
    return {drain, told}
  }

  it('tells once every partition left is processed to its target, before their commits', () => {
    const {drain, told} = twoPartitions()
    drain.processed('src', 0, 10)
    drain.processed('src', 1, 3)
    expect(told.count).toBe(0)
    drain.processed('src', 1, 4)
    expect(told.count).toBe(1)
    drain.advance('src', 0, 10)
    expect(told.count).toBe(1)
  })

  it('counts another member’s partitions as left: they are not processed here', () => {
    const {drain, told} = twoPartitions()
    drain.processed('src', 0, 10)
    expect(told.count).toBe(0)
  })

  it('tells when the next targets arrive already processed', async () => {
    const drain = new DrainTracker([{topic: 'src', partition: 0, from: 0, target: 10}])
    drain.thenDrain(async () => [{topic: 'rep', partition: 0, from: 0, target: 6}])
    let told = 0
    drain.whenAllProcessed(() => told++)
    drain.processed('rep', 0, 6)
    drain.processed('src', 0, 10)
    expect(told).toBe(1)
    drain.advance('src', 0, 10)
    await settled(drain.done)
    expect(told).toBe(2)
    expect(drain.isPending('rep', 0)).toBe(true)
  })
})
