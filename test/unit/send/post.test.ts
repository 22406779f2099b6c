import {describe, expect, it} from 'vitest'

import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {SlackPoster, type DelivererLike} from '../../../src/lib/send/post.js'
import type {Job} from '../../../src/lib/send/roles.js'
import type {DeliveryOutcome} from '../../../src/lib/slack/deliver.js'
import {alertValue, committerOf, message, ok, TOPIC} from './parts.js'

function posterOf(deliver: DelivererLike['deliver']) {
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
  })
  const job = (offset: number, alertId: string, inDoubt = false): Job => {
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
})
