import {describe, expect, it} from 'vitest'

import {encodeMeta} from '../../../src/lib/send/partitions.js'
import {alertValue, batchOf, deferred, FakeCommitter, intakeOf} from './parts.js'

const settle = () => new Promise((r) => setImmediate(r))

describe('send intake', () => {
  it('skips an alert with a recorded success and posts the others, in order per channel', async () => {
    const {intake, table, counts, deliverer} = intakeOf()
    table.markDelivered('a-1')
    await intake.batch(batchOf([alertValue('a-1', 'C1'), alertValue('a-2', 'C1'), alertValue('a-3', 'C2')]))
    await intake.dispatch.idle()
    expect([...deliverer.calls].sort()).toEqual(['post a-2 C1', 'post a-3 C2', 'skip a-1 C1'])
    expect(deliverer.calls.indexOf('skip a-1 C1')).toBeLessThan(deliverer.calls.indexOf('post a-2 C1'))
    expect(counts).toMatchObject({read: 3, skipped: 1})
    // Everything settled: the partition can be committed to its end.
    expect([...intake.states.values()][0]!.watermark()).toBe(3)
  })

  it('posts the same alert queued on two channels one at a time: the second is skipped once the first succeeds', async () => {
    const {intake, table, deliverer} = intakeOf()
    const gate = deferred()
    deliverer.hold = () => gate.promise
    deliverer.onPosted = (job) => table.markDelivered(job.alertId)
    await intake.batch(batchOf([alertValue('a-1', 'C1'), alertValue('a-1', 'C2')]))
    await settle()
    expect(deliverer.calls).toEqual(['post a-1 C1'])
    gate.resolve()
    await intake.dispatch.idle()
    expect(deliverer.calls).toEqual(['post a-1 C1', 'skip a-1 C2'])
  })

  it('rejects invalid payloads without posting them; --channel applies to where they would have gone', async () => {
    const {intake, counts, deliverer} = intakeOf({channel: 'CSTAGE'})
    const noText = JSON.stringify({...JSON.parse(alertValue('bad-1', 'C1')), text: ''})
    await intake.batch(batchOf([noText, '{"alertId": "bad-2", oops', alertValue('ok-1', 'C1')]))
    await intake.dispatch.idle()
    expect(deliverer.calls).toEqual(['reject bad-1', 'reject null', 'post ok-1 CSTAGE'])
    expect(deliverer.rejected[0]).toMatchObject({alertId: 'bad-1', channel: 'CSTAGE', pipeline: 'unit'})
    expect(deliverer.rejected[0]!.reason).toMatch(/^invalid Slack message: /)
    expect(counts).toMatchObject({read: 3, invalid: 2})
  })

  it('waits for capacity before taking more on', async () => {
    const {intake, counts, deliverer} = intakeOf({maxPending: 1})
    const gate = deferred()
    deliverer.hold = () => gate.promise
    const batch = batchOf([alertValue('a-1', 'C1'), alertValue('a-2', 'C2')])
    const taking = intake.batch(batch)
    await settle()
    // One pending (a-1, still posting): a-2 waits, though its channel is free.
    expect(counts.read).toBe(1)
    expect(deliverer.calls).toEqual(['post a-1 C1'])
    gate.resolve()
    await taking
    await intake.dispatch.idle()
    expect(deliverer.calls).toEqual(['post a-1 C1', 'post a-2 C2'])
    expect(batch.heartbeats).toBeGreaterThan(0)
  })

  it('marks alerts in the inherited in-doubt range, from the committed offset on', async () => {
    const committer = new FakeCommitter()
    committer.doubt = {ranges: [[1, 2]], lookupNotBefore: 0}
    const committed = {offset: 1, metadata: encodeMeta({state: 'open', instance: 'other', at: 0, doubt: [[1, 2]]})}
    const {intake, deliverer} = intakeOf({committer, committed})
    await intake.batch(batchOf([alertValue('a-0', 'C1'), alertValue('a-1', 'C1'), alertValue('a-2', 'C1')]))
    await intake.dispatch.idle()
    // Offset 0 is before the committed offset: already done by the previous owner.
    expect(deliverer.jobs.map((j) => [j.alertId, j.inDoubt])).toEqual([
      ['a-1', true],
      ['a-2', false],
    ])
  })

  it('leaves queued alerts unfinished at a stop', async () => {
    const {intake, counts, deliverer, stop} = intakeOf()
    const gate = deferred()
    deliverer.hold = () => gate.promise
    await intake.batch(batchOf([alertValue('a-1', 'C1'), alertValue('a-2', 'C1')]))
    await settle()
    stop.abort()
    gate.resolve()
    await intake.dispatch.idle()
    expect(deliverer.calls).toEqual(['post a-1 C1'])
    expect(counts.unfinished).toBe(1)
    expect([...intake.states.values()][0]!.watermark()).toBe(1)
  })

  it('applies each revision once and never an older one over a newer: revisions at or below the applied one are skipped', async () => {
    const {intake, table, deliverer} = intakeOf()
    table.markDelivered('a-1', {channel: 'D1', ts: '1.1'})
    table.markApplied('a-1', 2)
    const revision = (n: number) => JSON.stringify({...JSON.parse(alertValue('a-1', 'C1')), revision: n})
    await intake.batch(batchOf([alertValue('a-1', 'C1'), revision(1), revision(2), revision(3)]))
    await intake.dispatch.idle()
    expect(deliverer.calls).toEqual(['skip a-1 C1', 'skip a-1 C1', 'skip a-1 C1', 'post a-1 C1'])
    expect(deliverer.jobs.map((j) => j.revision)).toEqual([3])
  })
})

describe('send intake: the maximum alert age', () => {
  it('expires alerts whose event is older than the maximum age, posts the fresh ones, skips delivered ones', async () => {
    const {intake, table, counts, deliverer} = intakeOf({maxAgeMs: 24 * 3_600_000})
    table.markDelivered('old-done')
    const payload = batchOf([alertValue('old-1', 'C1'), alertValue('fresh-1', 'C1'), alertValue('old-done', 'C2')])
    const old = new Date(Date.now() - 25 * 3_600_000)
    const ages = [old.getTime(), Date.now() - 23 * 3_600_000, old.getTime()]
    payload.batch.messages.forEach((m, i) => (m.timestamp = String(ages[i])))
    await intake.batch(payload)
    await intake.dispatch.idle()
    expect([...deliverer.calls].sort()).toEqual([
      `expire old-1 C1 ${old.toISOString()}`,
      'post fresh-1 C1',
      'skip old-done C2',
    ])
    expect(counts).toMatchObject({read: 3, expired: 1, skipped: 1})
    // Expired alerts are settled: the offsets behind them can be committed.
    expect([...intake.states.values()][0]!.watermark()).toBe(3)
  })
})

describe('send intake: an update is known by its revision, in the value or the fa-revision header', () => {
  const value = (alertId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({...JSON.parse(alertValue(alertId, 'C1')), ...extra})

  it('takes the header alone as the revision (never a post), revision 0 as the post, and rejects a bad or disagreeing header', async () => {
    const {intake, table, deliverer} = intakeOf()
    table.markDelivered('a-1', {channel: 'D1', ts: '1.1'})
    table.markDelivered('a-h', {channel: 'D1', ts: '1.2'})
    const payload = batchOf([
      value('a-0', {revision: 0}),
      value('a-h'),
      value('a-1', {revision: 2}),
      value('a-1', {revision: 3}),
      value('a-1', {revision: 4}),
    ])
    const headers = [undefined, '1', 'two', '4', '4']
    payload.batch.messages.forEach((m, i) => {
      if (headers[i] !== undefined) m.headers = {...m.headers, 'fa-revision': headers[i]}
    })
    await intake.batch(payload)
    await intake.dispatch.idle()
    expect(deliverer.jobs.map((j) => [j.alertId, j.revision, j.message.revision])).toEqual([
      ['a-0', 0, undefined],
      ['a-h', 1, 1],
      ['a-1', 4, 4],
    ])
    expect(deliverer.rejected.map((r) => [r.revision, r.reason])).toEqual([
      [2, 'invalid Slack message: header fa-revision: must be a whole number, got "two"'],
      [3, 'invalid Slack message: revision: 3 differs from header fa-revision 4'],
    ])
  })

  it('never expires an update: its DM is there, and must end on its last revision', async () => {
    const {intake, table, counts, deliverer} = intakeOf({maxAgeMs: 24 * 3_600_000})
    table.markDelivered('a-1', {channel: 'D1', ts: '1.1'})
    const payload = batchOf([value('a-1', {revision: 1}), value('a-2')])
    for (const m of payload.batch.messages) m.timestamp = String(Date.now() - 25 * 3_600_000)
    await intake.batch(payload)
    await intake.dispatch.idle()
    expect(deliverer.jobs.map((j) => [j.alertId, j.revision])).toEqual([['a-1', 1]])
    expect(counts).toMatchObject({expired: 1})
  })
})

describe('send intake: an update in doubt superseded by a newer one taken on', () => {
  it('is skipped: the old owner may have applied the newer one unrecorded, and the DM must not go back', async () => {
    const committer = new FakeCommitter()
    committer.doubt = {ranges: [[0, 4]], lookupNotBefore: 0}
    const committed = {offset: 0, metadata: encodeMeta({state: 'open', instance: 'other', at: 0, doubt: [[0, 4]]})}
    const {intake, table, counts, deliverer} = intakeOf({committer, committed})
    for (const id of ['a-1', 'b-1', 'c-1']) table.markDelivered(id, {channel: 'D1', ts: `1.${id}`})
    const revision = (id: string, n: number) => JSON.stringify({...JSON.parse(alertValue(id, 'C1')), revision: n})
    // In doubt: offsets 0-3. c-1's revision 1 has nothing newer behind it: applied.
    await intake.batch(
      batchOf([
        revision('a-1', 1),
        revision('a-1', 2),
        revision('b-1', 1),
        revision('c-1', 1),
        revision('a-1', 3),
        revision('b-1', 2),
      ]),
    )
    await intake.dispatch.idle()
    expect(deliverer.jobs.map((j) => [j.alertId, j.revision, j.inDoubt])).toEqual([
      ['c-1', 1, true],
      ['a-1', 3, false],
      ['b-1', 2, false],
    ])
    expect(counts).toMatchObject({read: 6, skipped: 3})
    expect([...intake.states.values()][0]!.watermark()).toBe(6)
  })

  it('is applied when nothing is in doubt: each revision in turn', async () => {
    const {intake, table, deliverer} = intakeOf()
    table.markDelivered('a-1', {channel: 'D1', ts: '1.1'})
    const revision = (n: number) => JSON.stringify({...JSON.parse(alertValue('a-1', 'C1')), revision: n})
    await intake.batch(batchOf([revision(1), revision(2), revision(3)]))
    await intake.dispatch.idle()
    expect(deliverer.jobs.map((j) => j.revision)).toEqual([1, 2, 3])
  })
})
