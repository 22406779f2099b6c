import {Writable} from 'node:stream'

import {describe, expect, it} from 'vitest'

import {BufferedWriter} from '../../../src/lib/output/writer.js'

/** A stream that holds each write until `release` is called: what it got, as text once written, and where in memory each write was. */
function slowStream() {
  const held: Array<{chunk: Buffer; done: () => void}> = []
  const written: string[] = []
  const arrays: ArrayBufferLike[] = []
  const memory: string[] = []
  const stream = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _encoding, done) {
      if (!arrays.includes(chunk.buffer)) arrays.push(chunk.buffer)
      memory.push(`${arrays.indexOf(chunk.buffer)}@${chunk.byteOffset}`)
      held.push({chunk, done})
    },
  })
  const release = async () => {
    const write = held.shift()!
    written.push(write.chunk.toString())
    write.done()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return {stream, written, memory, release, held}
}

describe('BufferedWriter', () => {
  it('bytes larger than its buffer are the caller’s again only once the stream has written them', async () => {
    const {stream, release, held, written} = slowStream()
    const writer = new BufferedWriter(stream, 8)
    const bytes = Buffer.from('more than eight bytes')
    let settled = false
    const pending = writer.write(bytes)!.then(() => (settled = true))
    await new Promise((resolve) => setImmediate(resolve))
    expect(held).toHaveLength(1)
    expect(settled).toBe(false)
    await release()
    await pending
    expect(settled).toBe(true)
    expect(written).toEqual(['more than eight bytes'])
  })

  it('encodes into a flushed buffer again once the stream has written it, never while it holds it', async () => {
    const {stream, release, written, memory} = slowStream()
    // Each text has room at 3 bytes a character, but not beside another.
    const writer = new BufferedWriter(stream, 8192)
    const text = (letter: string) => letter.repeat(2730)
    writer.write(text('a'))
    await writer.write(text('b')) // flushes the a's, held by the stream
    await writer.write(text('c')) // flushes the b's into other memory: the a's are still held
    await release()
    await release()
    await writer.write(text('d')) // flushes the c's
    await writer.flush() // the d's, into the a's memory, written by now
    await release()
    await release()
    expect(written).toEqual([text('a'), text('b'), text('c'), text('d')])
    expect(memory[3]).toBe(memory[0])
    expect(new Set(memory).size).toBe(3)
  })
})
