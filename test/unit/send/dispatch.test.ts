import {describe, expect, it} from 'vitest'

import {ChannelDispatch} from '../../../src/lib/send/dispatch.js'
import {deferred, type Deferred} from './parts.js'

describe('ChannelDispatch', () => {
  it('runs one job at a time per channel, in order, and channels in parallel', async () => {
    const started: string[] = []
    const running = new Map<string, number>()
    let most = 0
    const gates = new Map<string, Deferred>()
    const dispatch = new ChannelDispatch<string>(async (job, channel) => {
      started.push(job)
      running.set(channel, (running.get(channel) ?? 0) + 1)
      most = Math.max(most, running.get(channel)!)
      const gate = deferred()
      gates.set(job, gate)
      await gate.promise
      running.set(channel, running.get(channel)! - 1)
    })
    for (const job of ['a1', 'a2', 'a3']) dispatch.enqueue('A', job)
    dispatch.enqueue('B', 'b1')
    await new Promise((r) => setImmediate(r))
    // Both channels have their first job in flight; A's next ones wait for it.
    expect(started).toEqual(['a1', 'b1'])
    expect(dispatch.busy).toBe(true)

    gates.get('a1')!.resolve()
    await new Promise((r) => setImmediate(r))
    expect(started).toEqual(['a1', 'b1', 'a2'])

    let idle = false
    void dispatch.idle().then(() => (idle = true))
    gates.get('a2')!.resolve()
    await new Promise((r) => setImmediate(r))
    gates.get('a3')!.resolve()
    await new Promise((r) => setImmediate(r))
    expect(idle).toBe(false) // b1 is still in flight
    gates.get('b1')!.resolve()
    await dispatch.idle()
    expect(started).toEqual(['a1', 'b1', 'a2', 'a3'])
    expect(most).toBe(1)
    expect(dispatch.busy).toBe(false)
  })

  it('starts a channel again after its queue ran empty', async () => {
    const seen: string[] = []
    const dispatch = new ChannelDispatch<string>(async (job, channel) => void seen.push(`${channel}:${job}`))
    dispatch.enqueue('A', '1')
    await dispatch.idle()
    dispatch.enqueue('A', '2')
    await dispatch.idle()
    expect(seen).toEqual(['A:1', 'A:2'])
  })
})
