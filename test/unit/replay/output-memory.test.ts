import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {GoldenLines} from '../../../src/lib/output/golden.js'
import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {replayDryRun} from '../../../src/lib/replay/dry-run.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

const dir = mkdtempSync(path.join(tmpdir(), 'fa-output-memory-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

/** An alert per alarm, no state. */
const alarm = stream('alarm', 'alarms')
  .message(({event}) => ({recipient: 'U1', header: `Alarm on ${String(event.device)}`, text: new Mrkdwn('down')}))
  .to('out')

const file = path.join(dir, 'alarms.jsonl')
writeFileSync(
  file,
  Array.from({length: 400}, (_, i) => JSON.stringify({topic: 'alarms', key: `d${i}`, value: {device: `d${i}`}})).join(
    '\n',
  ),
)
const run = (out: GoldenLines | {write(bytes: Uint8Array): Promise<void>}) =>
  replayDryRun({
    files: [file],
    topology: new Topology([alarm], {}, buildSlackMessage),
    format: {kind: 'json'},
    out,
    chunkBytes: 2048,
  })

describe('a dry run’s output memory', () => {
  it('goes to the next chunk’s output once the sink is done with it, and not before', async () => {
    const written: string[] = []
    const memory = new Set<ArrayBufferLike>()
    let chunks = 0
    let changedWhileHeld = false
    await run({
      write(bytes) {
        chunks++
        memory.add(bytes.buffer)
        const text = Buffer.from(bytes).toString()
        written.push(text)
        // The sink still reads the bytes until this resolves: they must not change meanwhile.
        return new Promise((resolve) =>
          setTimeout(() => {
            changedWhileHeld ||= Buffer.from(bytes).toString() !== text
            resolve()
          }, 1),
        )
      },
    })
    const golden = new GoldenLines()
    await run(golden)
    expect(written.join('').split('\n').filter(Boolean)).toEqual(golden.lines)
    expect(golden.lines).toHaveLength(400)
    expect(changedWhileHeld).toBe(false)
    expect(chunks).toBeGreaterThan(10)
    // One chunk's memory after another, not new memory for each.
    expect(memory.size).toBeLessThan(4)
  })
})
