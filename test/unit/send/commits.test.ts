import type {Admin, Message} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {silentLogger} from '../../../src/lib/output/log.js'
import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {GroupCommitter} from '../../../src/lib/send/commits.js'
import {Ledger} from '../../../src/lib/send/ledger.js'
import {PartitionState, type Entry} from '../../../src/lib/send/partitions.js'
import {ResponseTable} from '../../../src/lib/send/responses.js'
import {emptyCounts} from '../../../src/lib/send/summary.js'
import type {DeliveryOutcome} from '../../../src/lib/slack/deliver.js'
import {deferred, type Deferred, message, TOPIC} from './parts.js'

const NO_DOUBT = {from: 0, until: 0, lookupNotBefore: 0}

/** A committer whose writer acknowledges each submit when told, committing through a recording target. */
function committerOf() {
  const submits: Array<{messages: Map<string, Message[]>; ack: Deferred}> = []
  const writer = {
    connect: async () => {},
    close: async () => {},
    submit: (messages: Map<string, Message[]>) => {
      const ack = deferred()
      submits.push({messages, ack})
      return ack.promise
    },
  }
  const commits: Array<{offset: number; metadata: string}> = []
  const counts = emptyCounts()
  const table = new ResponseTable()
  const stop = new AbortController()
  const committer = new GroupCommitter({
    group: 'unit',
    instance: 'inst1234',
    topics: {responses: 'responses', deadLetters: 'dead-letters'},
    writer,
    admin: {} as Admin,
    table,
    counts,
    requestTimeoutMs: 1_000,
    log: silentLogger,
    stop: stop.signal,
    explain: (error) => error as Error,
  })
  committer.attach({
    commitOffsets: async ([o]) => void commits.push({offset: Number(o!.offset), metadata: o!.metadata}),
  })
  const ledger = new Ledger(counts, 100, stop.signal, (state) => committer.progress(state))
  const state = new PartitionState(TOPIC, 0, 0, NO_DOUBT)
  const record = (entry: Entry, outcome: DeliveryOutcome | undefined, reason?: string) =>
    committer.record(fromKafka(TOPIC, 0, message(entry.offset, '{}')), outcome, reason, (recorded) =>
      recorded ? ledger.done(state, entry) : ledger.unfinished(state, entry, Boolean(outcome?.ok)),
    )
  return {committer, submits, commits, counts, table, state, ledger, record}
}

const ok = (alertId: string): DeliveryOutcome => ({
  alertId,
  ok: true,
  channel: 'C1',
  ts: '1.2',
  error: null,
  attempts: 1,
  firstAttemptAt: null,
  deliveredAt: null,
})

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
    expect(commits.at(-1)!.metadata).toMatch(/^fa-send\/1 state=open instance=inst1234 at=\d+ doubt-until=0$/)
  })

  it('announces in an open commit before posting, and closes each partition at a stop', async () => {
    const {committer, submits, commits, state, ledger, record} = committerOf()
    expect(await committer.announce(state, 500)).toBe(true)
    expect(commits).toEqual([{offset: 0, metadata: expect.stringMatching(/ state=open .* doubt-until=500$/)}])
    ledger.take()
    record(state.track(0), ok('a-0'))
    submits[0]!.ack.resolve()
    await committer.close([state], Date.now() + 1_000)
    expect(commits.at(-1)).toEqual({
      offset: 1,
      metadata: expect.stringMatching(/^fa-send\/1 state=closed instance=inst1234 at=\d+$/),
    })
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
