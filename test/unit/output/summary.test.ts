import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {renderSummary} from '../../../src/lib/output/human.js'
import {Summary} from '../../../src/lib/pipeline/summary.js'

const c = new Chalk({level: 0})

describe("the dry run's summary line", () => {
  it('puts each count in the right number', () => {
    const summary = new Summary()
    summary.add([{kind: 'alert', pipeline: 'alarm', alertId: 'fa-1', output: {} as never, incident: true}])
    expect(renderSummary(summary, c).split('\n')[0]).toBe('1 record: 1 alert, 1 incident opened, 0 dead letters')
    summary.add([
      {kind: 'update', pipeline: 'alarm', alertId: 'fa-1', revision: 1, resolved: false, output: {} as never},
    ])
    summary.add([{kind: 'dead-letter', pipeline: 'alarm', reason: 'bad', output: {} as never}])
    expect(renderSummary(summary, c).split('\n')[0]).toBe(
      '3 records: 1 alert, 1 incident opened, 1 update, 1 dead letter',
    )
    summary.add([{kind: 'alert', pipeline: 'alarm', alertId: 'fa-2', output: {} as never, incident: true}])
    summary.add([
      {kind: 'update', pipeline: 'alarm', alertId: 'fa-2', revision: 1, resolved: true, output: {} as never},
    ])
    expect(renderSummary(summary, c).split('\n')[0]).toBe(
      '5 records: 2 alerts, 2 incidents opened, 2 updates, 1 resolved, 1 dead letter',
    )
  })
})

describe('a summary merged from threads', () => {
  const drop = (reason: string) => ({kind: 'dropped' as const, pipeline: 'alarm', reason})

  it('names the drop reasons in the order the alert types declare them, whichever thread met one first', () => {
    const byThread = (reasons: string[]) => {
      const shard = new Summary()
      for (const reason of reasons) shard.add([drop(reason)])
      return shard.counts()
    }
    const lines = [
      [['no-open-incident'], ['unassigned', 'filtered']],
      [['filtered'], ['no-open-incident', 'unassigned']],
    ].map((threads) => {
      const summary = new Summary()
      for (const reasons of threads) summary.merge(byThread(reasons))
      summary.orderBy(['alarm'], ['filtered', 'unassigned', 'no-open-incident'])
      return {line: renderSummary(summary, c), json: JSON.stringify(summary)}
    })
    expect(lines[0]).toEqual(lines[1])
    expect(lines[0]!.line.split('\n')[0]).toBe(
      '3 records: 0 alerts, 0 dead letters, 1 filtered, 1 unassigned, 1 no-open-incident',
    )
  })
})
