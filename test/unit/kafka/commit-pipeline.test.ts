// At-least-once commits: per partition strictly in order, only up to acknowledged outputs, one
// OffsetCommit at a time; a failed batch rewinds its partition and nothing after it is committed.
import {describe, expect, it} from 'vitest'

import {CommitPipeline} from '../../../src/lib/kafka/commit-pipeline.js'
import type {PartitionOffset} from '../../../src/lib/kafka/requests.js'
import {silentLogger} from '../../../src/lib/output/log.js'

function deferred() {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {promise, resolve, reject}
}

const tick = () => new Promise((r) => setTimeout(r, 0))
const show = (offsets: PartitionOffset[]) => offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(' ')

function setup({commitGate}: {commitGate?: () => Promise<void>} = {}) {
  const commits: string[] = []
  const rewinds: string[] = []
  const committed: string[] = []
  let inCommit = 0
  const pipeline = new CommitPipeline({
    commit: async (offsets) => {
      expect(++inCommit).toBe(1)
      await commitGate?.()
      commits.push(show(offsets))
      inCommit--
    },
    rewind: (topic, partition, offset) => rewinds.push(`${topic}[${partition}]@${offset}`),
    log: silentLogger,
  })
  const batch = (partition: number, from: number, next: number, topic = 't') => {
    const written = deferred()
    pipeline.track(topic, partition, BigInt(from), BigInt(next), written.promise, () =>
      committed.push(`${topic}[${partition}]:${from}`),
    )
    return written
  }
  return {pipeline, commits, rewinds, committed, batch}
}

describe('CommitPipeline', () => {
  it('commits a partition only up to the first batch whose outputs are not acknowledged', async () => {
    const {commits, committed, batch} = setup()
    const b1 = batch(0, 0, 10)
    const b2 = batch(0, 10, 20)
    const b3 = batch(0, 20, 30)
    b2.resolve()
    b3.resolve()
    await tick()
    expect(commits).toEqual([])
    b1.resolve()
    await tick()
    expect(commits).toEqual(['t[0]@30'])
    expect(committed).toEqual(['t[0]:0', 't[0]:10', 't[0]:20'])
  })

  it('sends one commit at a time, the next carrying the latest offsets of every partition', async () => {
    let gate = deferred()
    const {commits, batch} = setup({commitGate: () => gate.promise})
    batch(0, 0, 10).resolve()
    await tick()
    batch(0, 10, 20).resolve()
    batch(1, 0, 5).resolve()
    batch(0, 20, 25).resolve()
    await tick()
    const first = gate
    gate = deferred()
    first.resolve()
    await tick()
    gate.resolve()
    await tick()
    expect(commits).toEqual(['t[0]@10', 't[0]@25 t[1]@5'])
  })

  it('rewinds a partition whose batch failed and never commits past it; other partitions go on', async () => {
    const {pipeline, commits, rewinds, committed, batch} = setup()
    const b1 = batch(0, 0, 10)
    const b2 = batch(0, 10, 20)
    const b3 = batch(0, 20, 30)
    const other = batch(1, 0, 7)
    b3.resolve()
    b2.reject(new Error('broker said no'))
    await tick()
    expect(rewinds).toEqual(['t[0]@10'])
    b1.resolve()
    other.resolve()
    await pipeline.flush()
    expect(commits.join(' ')).not.toMatch(/t\[0\]@(20|30)/)
    expect(commits.join(' ')).toContain('t[0]@10')
    expect(commits.join(' ')).toContain('t[1]@7')
    expect(committed).not.toContain('t[0]:10')
    expect(committed).not.toContain('t[0]:20')
    // Read again from the rewind: committed once acknowledged.
    batch(0, 10, 30).resolve()
    await pipeline.flush()
    expect(commits.at(-1)).toBe('t[0]@30')
  })

  it('a failure of an earlier batch after a later one failed rewinds further back', async () => {
    const {pipeline, commits, rewinds, batch} = setup()
    const b1 = batch(0, 0, 10)
    const b2 = batch(0, 10, 20)
    b2.reject(new Error('no'))
    await tick()
    b1.reject(new Error('no'))
    await pipeline.flush()
    expect(rewinds).toEqual(['t[0]@10', 't[0]@0'])
    expect(commits).toEqual([])
  })

  it('flush waits for the outputs in flight and commits through the commit it is given', async () => {
    const {pipeline, commits, batch} = setup()
    const b1 = batch(0, 0, 10)
    const via: string[] = []
    const flushed = pipeline.flush(async (offsets) => void via.push(show(offsets)))
    await tick()
    expect(via).toEqual([])
    b1.resolve()
    await flushed
    // The loop's own commit or the given one: either way committed once flush resolves.
    expect([...commits, ...via]).toEqual(['t[0]@10'])
  })

  /** A pipeline whose commits fail while `state.fail` is set, with one batch acknowledged. */
  async function failingCommits() {
    const state = {fail: true}
    const commits: string[] = []
    const pipeline = new CommitPipeline({
      commit: async (offsets) => {
        if (state.fail) throw new Error('not the coordinator')
        commits.push(show(offsets))
      },
      rewind: () => {},
      log: silentLogger,
    })
    pipeline.track('t', 0, 0n, 10n, Promise.resolve(), () => {})
    await tick()
    expect(commits).toEqual([])
    return {state, commits, pipeline}
  }

  it('tries a failed commit again on its own', async () => {
    const {state, commits} = await failingCommits()
    state.fail = false
    await new Promise((r) => setTimeout(r, 1_200))
    expect(commits).toEqual(['t[0]@10'])
  })

  it('keeps the offsets of a failed commit for the next one', async () => {
    const {state, commits, pipeline} = await failingCommits()
    state.fail = false
    await pipeline.flush()
    expect(commits).toEqual(['t[0]@10'])
  })

  it('forgets what was not committed at a join', async () => {
    const {pipeline, commits, rewinds, batch} = setup()
    const b1 = batch(0, 0, 10)
    pipeline.forget()
    b1.reject(new Error('no'))
    await pipeline.flush()
    expect(rewinds).toEqual([])
    expect(commits).toEqual([])
  })
})
