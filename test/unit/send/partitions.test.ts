import {describe, expect, it} from 'vitest'

import {ChannelPacer} from '../../../src/lib/send/pacer.js'
import {
  covers,
  encodeMeta,
  inheritedDoubt,
  NO_DOUBT,
  parseMeta,
  PartitionState,
} from '../../../src/lib/send/partitions.js'
import {ResponseTable, responseMessage} from '../../../src/lib/send/responses.js'

describe('commit metadata and the in-doubt offsets', () => {
  it('round-trips the listed offsets and rejects what it did not write', () => {
    const open = {
      state: 'open',
      instance: 'ab12cd34',
      at: 1_700_000_000_000,
      doubt: [
        [40, 48],
        [52, 53],
      ],
    } as const
    expect(encodeMeta(open)).toBe('fa-send/1 state=open instance=ab12cd34 at=1700000000000 doubt=40-47,52')
    expect(parseMeta(encodeMeta(open))).toEqual(open)
    expect(parseMeta(encodeMeta({state: 'closed', instance: 'x', at: 5, doubt: []}))).toEqual({
      state: 'closed',
      instance: 'x',
      at: 5,
      doubt: undefined,
    })
    for (const foreign of [
      null,
      '',
      'fa-send/1',
      'fa-send/2 state=open instance=a at=1',
      'fa-send/1 state=half instance=a at=1',
      'fa-send/1 state=open at=1',
      'fa-send/1 state=open instance=a at=1 doubt-until=x',
      'fa-send/1 state=open instance=a at=1 doubt=5-3',
      'fa-send/1 state=open instance=a at=1 doubt=1,,2',
    ]) {
      expect(parseMeta(foreign), String(foreign)).toBeUndefined()
    }
  })

  it('merges neighbouring ranges rather than outgrow the broker metadata limit, covering every offset', () => {
    const offsets = Array.from({length: 2_000}, (_, i) => i * 3)
    const text = encodeMeta({state: 'open', instance: 'a', at: 1, doubt: offsets.map((o) => [o, o + 1] as const)})
    expect(text.length).toBeLessThan(2_100)
    const doubt = parseMeta(text)!.doubt!
    for (const o of offsets) expect(covers(doubt, o), String(o)).toBe(true)
  })

  const now = 1_000_000
  const timeout = 10_000

  it('nothing is in doubt without a committed offset or after a clean close', () => {
    expect(inheritedDoubt({offset: -1, metadata: null}, 900, now, timeout)).toEqual(NO_DOUBT)
    const clean = encodeMeta({state: 'closed', instance: 'a', at: now - 5_000})
    expect(inheritedDoubt({offset: 40, metadata: clean}, 900, now, timeout)).toEqual(NO_DOUBT)
    // Offsets below the committed one are recorded: worked off.
    const done = encodeMeta({state: 'closed', instance: 'a', at: now - 5_000, doubt: [[30, 40]]})
    expect(inheritedDoubt({offset: 40, metadata: done}, 900, now, timeout)).toEqual(NO_DOUBT)
    // An open partition whose owner had nothing posting.
    const idle = encodeMeta({state: 'open', instance: 'a', at: now - 5_000})
    expect(inheritedDoubt({offset: 40, metadata: idle}, 900, now, timeout)).toEqual(NO_DOUBT)
  })

  it('a closed partition keeps its cut-short posts; lookups wait out their requests', () => {
    const meta = encodeMeta({
      state: 'closed',
      instance: 'a',
      at: now - 5_000,
      doubt: [
        [38, 41],
        [46, 47],
      ],
    })
    expect(inheritedDoubt({offset: 40, metadata: meta}, 900, now, timeout)).toEqual({
      ranges: [
        [40, 41],
        [46, 47],
      ],
      lookupNotBefore: now + 5_000,
    })
  })

  it('an open partition (its owner crashed) is in doubt where listed; an older fa below doubt-until; foreign metadata up to the high watermark', () => {
    const meta = encodeMeta({
      state: 'open',
      instance: 'a',
      at: now - 60_000,
      doubt: [
        [41, 42],
        [45, 47],
      ],
    })
    expect(inheritedDoubt({offset: 40, metadata: meta}, 900, now, timeout)).toEqual({
      ranges: [
        [41, 42],
        [45, 47],
      ],
      lookupNotBefore: now + timeout,
    })
    const older = 'fa-send/1 state=open instance=a at=1 doubt-until=540'
    expect(inheritedDoubt({offset: 40, metadata: older}, 900, now, timeout).ranges).toEqual([[40, 540]])
    expect(inheritedDoubt({offset: 40, metadata: 'written by kcat'}, 900, now, timeout)).toEqual({
      ranges: [[40, 900]],
      lookupNotBefore: now + timeout,
    })
    expect(inheritedDoubt({offset: 40, metadata: null}, 40, now, timeout)).toEqual(NO_DOUBT)
  })
})

describe('PartitionState', () => {
  it('commits up to the first offset not recorded, whatever order they finish in', () => {
    const state = new PartitionState('t', 0, 10, NO_DOUBT)
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

  it('lists in doubt the inherited offsets not worked off and the posts not recorded, not the queued ones', () => {
    const state = new PartitionState('t', 0, 10, {ranges: [[10, 20]], lookupNotBefore: 0})
    expect(state.isInDoubt(9)).toBe(false)
    expect(state.isInDoubt(10)).toBe(true)
    expect(state.isInDoubt(20)).toBe(false)
    expect(state.doubtAt(15)).toEqual([[15, 20]])
    expect(state.doubtAt(20)).toEqual([])
    const entries = Array.from({length: 20}, (_, i) => state.track(20 + i))
    entries[3]!.posting = true
    entries[9]!.posting = true
    entries[10]!.posting = true
    entries[9]!.done = true
    expect(state.doubtAt(21)).toEqual([
      [23, 24],
      [30, 31],
    ])
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
