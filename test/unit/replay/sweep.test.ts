import {describe, expect, it} from 'vitest'

import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {printerFor} from '../../../src/lib/replay/format.js'
import {Shard} from '../../../src/lib/replay/shard.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

/** Device alarms in incidents of an hour per device. */
const alarm = stream('alarm', 'alarms')
  .incidents({key: ({event}) => event.device, window: '1h'})
  .message(({event}) => ({recipient: 'U1', header: `Alarm on ${String(event.device)}`, text: new Mrkdwn('down')}))
  .to('out')

const T0 = Date.UTC(2026, 10, 24, 10)
const MIN = 60_000
const line = (topic: string, key: string, value: object, ms?: number) =>
  JSON.stringify({topic, key, value, ...(ms === undefined ? {} : {timestamp: new Date(T0 + ms).toISOString()})})
const failure = (device: string, ms: number) => line('alarms', device, {device}, ms)

/** What a dry run over `lines` produces: one line per alert or update, `kind device revision`. */
function dryRun(lines: string[], split: number[] = []): string[] {
  const shard = new Shard(new Topology([alarm], {}, buildSlackMessage), printerFor({kind: 'json'}))
  const cuts = [0, ...split, lines.length]
  const out: string[] = []
  for (let i = 0; i + 1 < cuts.length; i++) {
    const result = shard.result({
      file: 'f.jsonl',
      index: i,
      firstLine: cuts[i]! + 1,
      bytes: Buffer.from(lines.slice(cuts[i], cuts[i + 1]).join('\n')),
      bytesRead: 0,
    })
    if (result.kind !== 'chunk') throw new Error(result.reason)
    for (const text of Buffer.from(result.output).toString().split('\n').filter(Boolean)) {
      const {value} = JSON.parse(text) as {value: {revision?: number; blocks: unknown}}
      out.push(`${/Alarm on (\w+)/.exec(JSON.stringify(value.blocks))![1]} ${value.revision ?? 0}`)
    }
  }
  return out
}

describe('replay --dry-run sweeps expired incidents', () => {
  it('a late event inside its incident window updates it though stream time has passed the window, as in enrich', () => {
    // d1 opens at 0; d2 moves stream time past d1's window (1h); the late d1 event from 30 min in
    // is inside d1's window: an update. Enrich sweeps only after a batch, so the same holds there.
    const lines = [failure('d1', 0), failure('d2', 61 * MIN), failure('d1', 30 * MIN)]
    expect(dryRun(lines)).toEqual(['d1 0', 'd2 0', 'd1 1'])
  })

  it('an incident is swept a grace (its window) after its window closed: an event later than that opens a new one', () => {
    const lines = [failure('d1', 0), failure('d2', 121 * MIN), failure('d1', 30 * MIN)]
    expect(dryRun(lines)).toEqual(['d1 0', 'd2 0', 'd1 0'])
  })

  it('sweeps at the same records however the file is cut into chunks', () => {
    const lines = [failure('d1', 0), failure('d2', 121 * MIN), failure('d1', 30 * MIN), failure('d2', 122 * MIN)]
    const whole = dryRun(lines)
    expect(whole).toEqual(['d1 0', 'd2 0', 'd1 0', 'd2 1'])
    expect(dryRun(lines, [1])).toEqual(whole)
    expect(dryRun(lines, [2, 3])).toEqual(whole)
  })
})
