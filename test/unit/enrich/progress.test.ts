import {describe, expect, it} from 'vitest'

import {streamProgress} from '../../../src/lib/enrich/progress.js'
import {createLogger} from '../../../src/lib/output/log.js'
import {Summary} from '../../../src/lib/pipeline/summary.js'
import type {TopicRecord} from '../../../src/lib/records/record.js'

describe('the steady progress line of fa enrich', () => {
  it("counts incidents' updates and resolutions beside alerts, dead letters and drops", async () => {
    const lines: Array<Record<string, unknown>> = []
    const stream = {write: (line: string) => (lines.push(JSON.parse(line)), true)} as unknown as NodeJS.WritableStream
    const summary = new Summary()
    const output = {} as TopicRecord
    const p = 'connector-provisioning-failed'
    summary.add([{kind: 'alert', pipeline: p, alertId: 'a', output, incident: true}])
    summary.add([{kind: 'update', pipeline: p, alertId: 'a', revision: 1, resolved: false, output}])
    summary.add([{kind: 'update', pipeline: p, alertId: 'a', revision: 2, resolved: true, output}])
    summary.add([{kind: 'dropped', pipeline: p, reason: 'filtered'}])
    const stop = streamProgress({
      total: undefined,
      bar: false,
      processed: () => 4,
      summary,
      log: createLogger({format: 'json', stream}),
      everyMs: 10,
      lag: async () => 0,
    })
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5))
    stop()
    expect(lines[0]).toMatchObject({
      msg: 'progress',
      events: 4,
      alerts: 1,
      incidents: 1,
      updates: 2,
      resolved: 1,
      deadLetters: 0,
      dropped: {filtered: 1},
      lag: 0,
    })
  })
})
