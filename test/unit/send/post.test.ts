import {describe, expect, it} from 'vitest'

import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {SlackPoster, type DelivererLike} from '../../../src/lib/send/post.js'
import type {Job} from '../../../src/lib/send/roles.js'
import type {DeliveryOutcome} from '../../../src/lib/slack/deliver.js'
import {alertValue, committerOf, message, ok, TOPIC} from './parts.js'

function posterOf(deliver: DelivererLike['deliver'], responsesRead?: (since: number) => Promise<unknown>) {
  const parts = committerOf()
  const failures: Error[] = []
  const stats = {rateLimited: 3, retried: 2, foundInHistory: 1}
  const poster = new SlackPoster({
    deliverer: {deliver, stats},
    committer: parts.committer,
    ledger: parts.ledger,
    table: parts.table,
    counts: parts.counts,
    pace: {perSecond: 100, burst: 10},
    log: silentLogger,
    stop: parts.stop.signal,
    fail: (error) => failures.push(error),
    responsesRead,
  })
  const job = (offset: number, alertId: string, inDoubt = false, revision = 0): Job => {
    parts.ledger.take()
    const value = alertValue(alertId, 'C1')
    return {
      state: parts.state,
      entry: parts.state.track(offset),
      record: fromKafka(TOPIC, 0, message(offset, value)),
      message: JSON.parse(value),
      alertId,
      pipeline: 'unit',
      inDoubt,
      revision,
    }
  }
  return {...parts, poster, failures, job}
}

describe('SlackPoster', () => {
  it('marks a posted alert delivered before its response is recorded; a failure is dead-lettered too', async () => {
    const {poster, job, submits, table, counts, state} = posterOf(async (m) =>
      m.alertId === 'a-0' ? ok('a-0') : {...ok(m.alertId), ok: false, error: 'channel_not_found'},
    )
    await poster.post(job(0, 'a-0'), 'C1')
    expect(table.isDelivered('a-0')).toBe(true)
    expect([...submits[0]!.messages.keys()]).toEqual(['responses'])
    await poster.post(job(1, 'a-1'), 'C1')
    expect([...submits[1]!.messages.keys()]).toEqual(['responses', 'dead-letters'])
    expect(counts).toMatchObject({delivered: 1, failed: 1})
    expect(state.watermark()).toBe(0) // nothing acknowledged yet
    for (const s of submits) s.ack.resolve()
    await new Promise((r) => setImmediate(r))
    expect(state.watermark()).toBe(2)
    expect(counts.deadLettered).toBe(1)
  })

  it("looks an in-doubt alert up in the channel's history from its record's time less clock skew", async () => {
    const asked: unknown[] = []
    const {poster, job, counts} = posterOf(async (m, options) => (asked.push(options), ok(m.alertId)))
    const doubtful = job(0, 'a-0', true)
    await poster.post(doubtful, 'C1')
    await poster.post(job(1, 'a-1'), 'C1')
    const since = new Date(Date.parse(doubtful.record.timestamp!) - 5 * 60_000)
    expect(asked).toEqual([{inDoubt: true, since, settledAt: 0}, {}])
    expect(counts.inDoubt).toBe(1)
  })

  it('lists an alert in doubt in a commit before posting it, not once it is recorded', async () => {
    const seen: string[] = []
    const parts = posterOf(async (m) => (seen.push(parts.commits.at(-1)?.metadata ?? 'none'), ok(m.alertId)))
    const {poster, job, submits, commits} = parts
    await poster.post(job(0, 'a-0'), 'C1')
    expect(seen).toEqual([expect.stringMatching(/ state=open .* doubt=0$/)])
    submits[0]!.ack.resolve()
    await new Promise((r) => setTimeout(r, 250))
    expect(commits.at(-1)).toEqual({offset: 1, metadata: expect.not.stringContaining('doubt=')})
  })

  it('leaves an aborted post for the next run, in doubt if it may exist; another error fails the run', async () => {
    const revoked = new Error('token_revoked')
    const {poster, job, counts, state, failures, submits} = posterOf(async (m) => {
      if (m.alertId === 'a-0') throw Object.assign(new Error('stopping'), {name: 'DeliveryAbortedError', inDoubt: true})
      throw revoked
    })
    await poster.post(job(4, 'a-0'), 'C1')
    expect(state.doubtAt(0)).toEqual([[4, 5]])
    await poster.post(job(5, 'a-1'), 'C1')
    expect(failures).toEqual([revoked])
    expect(state.doubtAt(0)).toEqual([[4, 6]])
    expect(counts.unfinished).toBe(2)
    expect(submits).toEqual([])
  })

  it('gives up on a post still in flight at the end of the grace period: in doubt, never recorded', async () => {
    let answer: (outcome: DeliveryOutcome) => void = () => {}
    const {poster, job, counts, state, submits} = posterOf(() => new Promise((resolve) => (answer = resolve)))
    const posting = poster.post(job(7, 'a-0'), 'C1')
    await new Promise((r) => setImmediate(r))
    poster.abandon()
    expect(counts.unfinished).toBe(1)
    expect(state.doubtAt(0)).toEqual([[7, 8]])
    answer(ok('a-0'))
    await posting
    expect(submits).toEqual([])
    poster.addStats(counts)
    expect(counts).toMatchObject({rateLimited: 3, retries: 2, foundInHistory: 1, delivered: 0})
  })

  it('applies an update with chat.update on the post it recorded, under its own response key', async () => {
    const asked: unknown[] = []
    const {poster, job, submits, table} = posterOf(async (m, options) => {
      asked.push(options)
      return options?.update ? {...ok(m.alertId), revision: 1} : ok(m.alertId)
    })
    await poster.post(job(0, 'a-0'), 'C1')
    expect(table.posted('a-0')).toEqual({channel: 'C1', ts: '1.2'})
    await poster.post(job(1, 'a-0', true, 1), 'C1')
    expect(asked).toEqual([{}, {update: {channel: 'C1', ts: '1.2'}}])
    expect(table.appliedRevision('a-0')).toBe(1)
    const response = submits[1]!.messages.get('responses')![0]!
    expect(String(response.key)).toBe('a-0@1')
    expect(JSON.parse(String(response.value))).toMatchObject({alertId: 'a-0', ok: true, revision: 1})
  })

  it("reads the responses to their end before deciding an update has no post: another process's record may not be read yet", async () => {
    const asked: unknown[] = []
    const reads: number[] = []
    const parts = posterOf(
      async (m, options) => (asked.push(options), {...ok(m.alertId), revision: 1}),
      async (since) => {
        reads.push(since)
        // The other process's record of its post arrives while the responses are read to their end.
        if (reads.length === 1) parts.table.markDelivered('a-0', {channel: 'D1', ts: '9.9'})
      },
    )
    const update = {...parts.job(0, 'a-0', false, 1), takenAt: 1234}
    await parts.poster.post(update, 'C1')
    expect(reads).toEqual([1234])
    expect(asked).toEqual([{update: {channel: 'D1', ts: '9.9'}}])
    await parts.poster.post(parts.job(1, 'a-7', false, 1), 'C1')
    expect(asked).toHaveLength(1)
    expect(parts.submits[1]!.messages.get('dead-letters')![0]!.headers).toMatchObject({
      'fa-error': 'update 1 of an alert with no recorded post',
    })
  })

  it('an update of an alert whose post failed for good is recorded and dead-lettered, never posted as new', async () => {
    const asked: unknown[] = []
    const {poster, job, submits, table, counts} = posterOf(async (m) => {
      asked.push(m.alertId)
      return ok(m.alertId)
    })
    table.apply({key: Buffer.from('a-9'), value: Buffer.from(JSON.stringify({ok: false, error: 'channel_not_found'}))})
    await poster.post(job(0, 'a-9', false, 2), 'C1')
    expect(asked).toEqual([])
    const recorded = submits[0]!.messages
    expect(String(recorded.get('responses')![0]!.key)).toBe('a-9@2')
    expect(recorded.get('dead-letters')![0]!.headers).toMatchObject({
      'fa-error': 'update 2 of an alert whose post failed: channel_not_found',
    })
    expect(counts.failed).toBe(1)
    expect(table.isDelivered('a-9')).toBe(false)
  })
})

describe('ResponseTable', () => {
  it('keeps where each post landed, the latest revision applied (never lowered) and why a post failed', async () => {
    const {ResponseTable} = await import('../../../src/lib/send/responses.js')
    const table = new ResponseTable()
    const apply = (key: string, value: object | null) =>
      table.apply({key: Buffer.from(key), value: value && Buffer.from(JSON.stringify(value))})
    apply('a', {ok: true, channel: 'D1', ts: '1.5'})
    apply('a@2', {ok: true})
    apply('a@1', {ok: true})
    apply('a@3', {ok: false, error: 'boom'})
    apply('b', {ok: false, error: 'channel_not_found'})
    expect(table.posted('a')).toEqual({channel: 'D1', ts: '1.5'})
    expect(table.appliedRevision('a')).toBe(2)
    expect(table.postFailure('b')).toBe('channel_not_found')
    expect(table.postFailure('a')).toBeUndefined()
    apply('b', {ok: true, channel: 'D2', ts: '2.5'})
    expect(table.postFailure('b')).toBeUndefined()
    expect(table.size).toBe(2)
  })

  it('forgets outcomes recorded longer ago than the retention: when read, and in a sweep of its own marks', async () => {
    const {ResponseTable} = await import('../../../src/lib/send/responses.js')
    let now = Date.UTC(2026, 11, 1)
    const day = 86_400_000
    const table = new ResponseTable('7d', () => now)
    const ok = (id: string, at: number) =>
      table.apply({key: Buffer.from(id), value: Buffer.from('{"ok":true}'), timestamp: String(at)})
    ok('old', now - 8 * day)
    ok('recent', now - 6 * day)
    expect([table.isDelivered('old'), table.isDelivered('recent')]).toEqual([false, true])
    now += 2 * day
    // A sweep runs every few thousand outcomes noted.
    for (let i = 0; i < 5000; i++) table.markDelivered(`fresh-${i}`)
    expect(table.isDelivered('recent')).toBe(false)
    expect(table.isDelivered('fresh-0')).toBe(true)
  })
})
