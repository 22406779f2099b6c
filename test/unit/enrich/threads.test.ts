// What `fa enrich --threads` reports: its threads' results as one run's.
import {describe, expect, it} from 'vitest'

import {mergeResults, type ThreadResult} from '../../../src/lib/enrich/threads.js'
import type {SummaryCounts} from '../../../src/lib/pipeline/summary.js'

const counts = (alerts: number, tableRecords = 0): SummaryCounts => ({
  records: alerts + tableRecords,
  unrouted: 0,
  unroutedTopics: {},
  pipelines: {
    'connector-provisioning-failed': {read: alerts, alerts, deadLetters: 0, dropped: {}},
    ...(tableRecords > 0 && {assignments: {read: tableRecords, alerts: 0, deadLetters: 0, dropped: {}}}),
  },
})

const result = (over: Partial<ThreadResult>): ThreadResult => ({
  guarantee: 'exactly-once',
  group: 'g',
  transactionalId: 'fa-enrich-g-h',
  follow: false,
  stoppedBy: 'end',
  summary: counts(0),
  tables: [{topic: 'a', table: 'assignments', records: 3, upserts: 3, deletes: 0, deadLetters: 0, rows: 3}],
  bootstrap: {records: 3, ms: 40},
  lag: {total: 0, topics: {n: 0}},
  ms: 1_000,
  streamMs: 500,
  streamStartedAt: 10_000,
  lastBatchAt: 10_500,
  ...over,
})

describe('mergeResults', () => {
  it('sums the counts, spans the times, keeps thread 0’s tables and the last lag read', () => {
    const merged = mergeResults([
      result({summary: counts(5, 3)}),
      result({
        transactionalId: 'fa-enrich-g-h-t1',
        summary: counts(7),
        ms: 1_200,
        streamMs: 650,
        streamStartedAt: 10_020,
        lastBatchAt: 10_900,
        lag: {total: 2, topics: {n: 2}},
      }),
    ])
    expect(merged.summary.records).toBe(15)
    expect(merged.summary.totals.alerts).toBe(12)
    expect(merged.summary.pipelines.assignments?.read).toBe(3)
    expect(merged.transactionalIds).toEqual(['fa-enrich-g-h', 'fa-enrich-g-h-t1'])
    expect(merged.transactionalId).toBe('fa-enrich-g-h')
    expect(merged).toMatchObject({ms: 1_200, streamMs: 650, streamStartedAt: 10_000, lastBatchAt: 10_900})
    expect(merged.lag).toEqual({total: 2, topics: {n: 2}})
    expect(merged.tables).toHaveLength(1)
    expect(merged.stoppedBy).toBe('end')
  })

  it('is stopped by a signal if any thread was; a thread that never streamed leaves no times', () => {
    const merged = mergeResults([
      result({stoppedBy: 'signal', streamStartedAt: null, lastBatchAt: null, transactionalId: null}),
      result({streamStartedAt: null, lastBatchAt: null, transactionalId: null}),
    ])
    expect(merged.stoppedBy).toBe('signal')
    expect(merged.streamStartedAt).toBeNull()
    expect(merged.lastBatchAt).toBeNull()
    expect(merged.transactionalIds).toEqual([])
  })
})
