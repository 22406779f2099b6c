import {describe, expect, it} from 'vitest'

import {committerOf, ok} from './parts.js'

const debounce = () => new Promise((r) => setTimeout(r, 250))

describe('send commits', () => {
  it('never commits past an offset whose outcome is not recorded yet', async () => {
    const {submits, commits, state, ledger, record} = committerOf()
    const entries = [0, 1, 2].map((offset) => (ledger.take(), state.track(offset)))
    entries.forEach((entry, i) => record(entry, ok(`a-${i}`)))
    submits[0]!.ack.resolve()
    submits[2]!.ack.resolve()
    await debounce()
    expect(commits.map((c) => c.offset)).toEqual([1])
    submits[1]!.ack.resolve()
    await debounce()
    expect(commits.map((c) => c.offset)).toEqual([1, 3])
    expect(commits.at(-1)!.metadata).toMatch(/^fa-send\/1 state=open instance=inst1234 at=\d+$/)
  })

  it('announces in an open commit before posting, and closes each partition at a stop', async () => {
    const {committer, submits, commits, state, ledger, record} = committerOf()
    ledger.take()
    const entry = state.track(0)
    expect(await committer.announce(state, entry)).toBe(true)
    expect(commits).toEqual([{offset: 0, metadata: expect.stringMatching(/ state=open .* doubt=0$/)}])
    // Already listed: no second commit.
    expect(await committer.announce(state, entry)).toBe(true)
    expect(commits).toHaveLength(1)
    record(entry, ok('a-0'))
    submits[0]!.ack.resolve()
    await committer.close([state], Date.now() + 1_000)
    expect(commits.at(-1)).toEqual({
      offset: 1,
      metadata: expect.stringMatching(/^fa-send\/1 state=closed instance=inst1234 at=\d+$/),
    })
  })

  it('lists only the posts not recorded yet; announcements made together share a commit', async () => {
    const {committer, submits, commits, state, ledger, record} = committerOf()
    const entries = Array.from({length: 10}, (_, i) => (ledger.take(), state.track(i)))
    // Queued alerts (not announced) are never in doubt.
    await Promise.all([2, 5, 6].map((i) => committer.announce(state, entries[i]!)))
    expect(commits.length).toBeLessThanOrEqual(2)
    expect(commits.at(-1)!.metadata).toMatch(/ doubt=2,5-6$/)
    record(entries[5]!, ok('a-5'))
    submits[0]!.ack.resolve()
    await new Promise((r) => setImmediate(r))
    expect(await committer.announce(state, entries[8]!)).toBe(true)
    expect(commits.at(-1)).toEqual({offset: 0, metadata: expect.stringMatching(/ doubt=2,6,8$/)})
  })

  it('records a failure as a dead letter without overwriting a success', async () => {
    const {submits, counts, table, state, ledger, record} = committerOf()
    table.markDelivered('a-0')
    ledger.take()
    record(state.track(0), {...ok('a-0'), ok: false, error: 'channel_not_found'}, 'Slack: channel_not_found')
    expect([...submits[0]!.messages.keys()]).toEqual(['dead-letters'])
    submits[0]!.ack.resolve()
    await debounce()
    expect(counts.deadLettered).toBe(1)
  })
})
