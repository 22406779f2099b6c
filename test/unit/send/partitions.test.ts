import {describe, expect, it} from 'vitest'

import {ChannelPacer} from '../../../src/lib/send/pacer.js'
import {encodeMeta, inheritedDoubt, parseMeta, PartitionState} from '../../../src/lib/send/partitions.js'
import {ResponseTable, responseMessage} from '../../../src/lib/send/responses.js'

describe('commit metadata and the in-doubt range', () => {
  it('round-trips and rejects what it did not write', () => {
    const open = {state: 'open', instance: 'ab12cd34', at: 1_700_000_000_000, doubtUntil: 1500} as const
    expect(encodeMeta(open)).toBe('fa-send/1 state=open instance=ab12cd34 at=1700000000000 doubt-until=1500')
    expect(parseMeta(encodeMeta(open))).toEqual(open)
    expect(parseMeta(encodeMeta({state: 'closed', instance: 'x', at: 5}))).toEqual({
      state: 'closed',
      instance: 'x',
      at: 5,
      doubtUntil: undefined,
    })
    for (const foreign of [
      null,
      '',
      'fa-send/1',
      'fa-send/2 state=open instance=a at=1',
      'fa-send/1 state=half instance=a at=1',
      'fa-send/1 state=open at=1',
      'fa-send/1 state=open instance=a at=1 doubt-until=x',
    ]) {
      expect(parseMeta(foreign), String(foreign)).toBeUndefined()
    }
  })

  const now = 1_000_000
  const timeout = 10_000

  it('nothing is in doubt without a committed offset or after a clean close', () => {
    expect(inheritedDoubt({offset: -1, metadata: null}, 900, now, timeout)).toEqual({
      from: 0,
      until: 0,
      lookupNotBefore: 0,
    })
    const clean = encodeMeta({state: 'closed', instance: 'a', at: now - 5_000})
    expect(inheritedDoubt({offset: 40, metadata: clean}, 900, now, timeout).until).toBe(0)
    // A doubt-until at or below the committed offset is worked off.
    const done = encodeMeta({state: 'closed', instance: 'a', at: now - 5_000, doubtUntil: 40})
    expect(inheritedDoubt({offset: 40, metadata: done}, 900, now, timeout).until).toBe(0)
  })

  it('a closed partition keeps the range of cut-short posts; lookups wait out their requests', () => {
    const meta = encodeMeta({state: 'closed', instance: 'a', at: now - 5_000, doubtUntil: 47})
    expect(inheritedDoubt({offset: 40, metadata: meta}, 900, now, timeout)).toEqual({
      from: 40,
      until: 47,
      lookupNotBefore: now + 5_000,
    })
  })

  it('an open partition (its owner crashed) is in doubt as far as announced; foreign metadata up to the high watermark', () => {
    const meta = encodeMeta({state: 'open', instance: 'a', at: now - 60_000, doubtUntil: 540})
    expect(inheritedDoubt({offset: 40, metadata: meta}, 900, now, timeout)).toEqual({
      from: 40,
      until: 540,
      lookupNotBefore: now + timeout,
    })
    expect(inheritedDoubt({offset: 40, metadata: 'written by kcat'}, 900, now, timeout)).toEqual({
      from: 40,
      until: 900,
      lookupNotBefore: now + timeout,
    })
    expect(inheritedDoubt({offset: 40, metadata: null}, 40, now, timeout).until).toBe(0)
  })
})

describe('PartitionState', () => {
  it('commits up to the first offset not recorded, whatever order they finish in', () => {
    const state = new PartitionState('t', 0, 10, {from: 0, until: 0, lookupNotBefore: 0})
    expect(state.watermark()).toBe(10)
    const [a, b, c] = [10, 11, 13].map((o) => state.track(o))
    expect(state.seen).toBe(14)
    c!.done = true
    expect(state.watermark()).toBe(10)
    a!.done = true
    expect(state.watermark()).toBe(11)
    b!.done = true
    expect(state.watermark()).toBe(14)
    expect(state.outstanding).toBe(0)
  })

  it('closes with the inherited range not worked off, or the last cut-short post', () => {
    const state = new PartitionState('t', 0, 10, {from: 10, until: 20, lookupNotBefore: 0})
    expect(state.isInDoubt(9)).toBe(false)
    expect(state.isInDoubt(10)).toBe(true)
    expect(state.isInDoubt(20)).toBe(false)
    expect(state.closingDoubtUntil(15)).toBe(20)
    expect(state.closingDoubtUntil(20)).toBeUndefined()
    state.abandonedInDoubt = 31
    expect(state.closingDoubtUntil(25)).toBe(32)
  })
})

describe('ResponseTable', () => {
  const outcome = (alertId: string, ok: boolean) => ({
    alertId,
    ok,
    channel: 'C1',
    ts: ok ? '1.000001' : null,
    error: ok ? null : 'x',
    attempts: 1,
    firstAttemptAt: null,
    deliveredAt: null,
  })
  const record = (o: ReturnType<typeof outcome>) => {
    const m = responseMessage(o)
    return {key: Buffer.from(String(m.key)), value: Buffer.from(String(m.value))}
  }

  it('a success marks delivered; a later failure never unmarks it; a tombstone does', () => {
    const table = new ResponseTable()
    table.apply(record(outcome('a', false)))
    expect(table.isDelivered('a')).toBe(false)
    table.apply(record(outcome('a', true)))
    table.apply(record(outcome('a', false)))
    expect(table.isDelivered('a')).toBe(true)
    table.apply({key: Buffer.from('a'), value: null})
    expect(table.isDelivered('a')).toBe(false)
    table.apply({key: Buffer.from('b'), value: Buffer.from('not json')})
    expect(table.isDelivered('b')).toBe(false)
  })

  it('records exactly the documented fields', () => {
    const value = JSON.parse(String(responseMessage(outcome('a', true)).value))
    expect(Object.keys(value).sort()).toEqual([
      'alertId',
      'attempts',
      'channel',
      'deliveredAt',
      'error',
      'firstAttemptAt',
      'ok',
      'ts',
    ])
  })
})

describe('ChannelPacer', () => {
  it('lets a burst through, then spaces posts from their responses', async () => {
    const pacer = new ChannelPacer(20, 2)
    const start = performance.now()
    await pacer.ready('C1')
    pacer.charge('C1', 1)
    await pacer.ready('C1')
    pacer.charge('C1', 1)
    expect(performance.now() - start).toBeLessThan(20)
    await pacer.ready('C1')
    expect(performance.now() - start).toBeGreaterThanOrEqual(45)
    // Other channels are not held.
    const other = performance.now()
    await pacer.ready('C2')
    expect(performance.now() - other).toBeLessThan(10)
  })
})
