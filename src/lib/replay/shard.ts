import type {FixtureChunk} from '../fixtures/chunks.js'
import {chunkRecords, FixtureError, lastTimestamp} from '../fixtures/read.js'
import {Utf8Buffer} from '../output/utf8-buffer.js'
import {MemoryStateStore} from '../pipeline/state.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {parseEnvelopeLine} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'

const NEWLINE = 0x0a

export type Produced = Extract<Outcome, {kind: 'alert' | 'update' | 'dead-letter'}>

/** What one chunk came to: its output as UTF-8, or the line that stopped the run. */
export type ChunkResult =
  | {kind: 'chunk'; index: number; output: Uint8Array; bytesRead: number}
  | {kind: 'error'; index: number; file: string; line: number; reason: string}

/**
 * One thread's share of a dry run: the core over the chunks it runs, with tables and state that
 * must hold what the files said up to the chunk at hand, whoever ran the chunks before it. Alone,
 * it is the whole dry run. The records that change what later ones do (table records, and the
 * events of stateful alert types, which run here again for their state) are *shared*: every
 * thread applies them all, in file order, and writes output only for its own chunks.
 */
export class Shard {
  readonly summary = new Summary()
  private readonly tables = new TableStore()
  private readonly state = new MemoryStateStore()
  private readonly shared: Set<string>
  /** What every line that could be a shared record holds: its topic as JSON, or an escape that could spell one. */
  private readonly sharedMarks: Buffer[]

  constructor(
    private readonly topology: Topology,
    private readonly format: (produced: Produced, source: TopicRecord) => string,
  ) {
    this.shared = new Set([...topology.tableTopics.map(({topic}) => topic), ...topology.statefulTopics])
    this.sharedMarks = [
      ...[...this.shared].map((topic) => Buffer.from(JSON.stringify(topic))),
      Buffer.from('\\u'),
      Buffer.from('\\/'),
    ]
  }

  /**
   * What a chunk's records produce, as UTF-8; its shared records also go to `sharedRecords` when given.
   * A line that is not a record throws a FixtureError (FILE:LINE) before any record is run.
   */
  private run(chunk: FixtureChunk, sharedRecords?: TopicRecord[]): Uint8Array {
    // About what a chunk of the typical mix produces; an alert-heavy one grows it a few times.
    const out = new Utf8Buffer(Math.max(4096, chunk.bytes.length >> 1))
    for (const record of chunkRecords(chunk)) {
      const outcomes = this.topology.process(record, this.tables, this.state)
      this.summary.add(outcomes)
      if (sharedRecords && this.shared.has(record.topic)) sharedRecords.push(record)
      for (const outcome of outcomes) {
        if (outcome.kind === 'alert' || outcome.kind === 'update' || outcome.kind === 'dead-letter')
          out.write(this.format(outcome, record))
      }
    }
    return out.bytes
  }

  /** A chunk run, as a result to pass on in file order: a line that is not a record becomes an 'error' result. */
  result(chunk: FixtureChunk, sharedRecords?: TopicRecord[]): ChunkResult {
    try {
      return {kind: 'chunk', index: chunk.index, output: this.run(chunk, sharedRecords), bytesRead: chunk.bytesRead}
    } catch (error) {
      if (!(error instanceof FixtureError)) throw error
      return {kind: 'error', index: chunk.index, file: error.file, line: error.line, reason: error.reason}
    }
  }

  /** Shared records that other threads' chunks held, in file order, as if they were run here (without output). */
  apply(sharedRecords: TopicRecord[]): void {
    for (const record of sharedRecords) this.topology.process(record, this.tables, this.state)
  }

  /**
   * The shared records of a chunk another thread runs, applied here too: only lines that could
   * be one are parsed. What else is wrong with the chunk is the other thread's to report.
   */
  skim({bytes, previousTimestamp}: FixtureChunk): TopicRecord[] {
    const starts = new Set<number>()
    for (const mark of this.sharedMarks) {
      for (let at = bytes.indexOf(mark); at >= 0;) {
        starts.add(bytes.lastIndexOf(NEWLINE, at) + 1)
        const end = bytes.indexOf(NEWLINE, at)
        at = end < 0 ? -1 : bytes.indexOf(mark, end)
      }
    }
    const found: TopicRecord[] = []
    for (const start of [...starts].sort((a, b) => a - b)) {
      const end = bytes.indexOf(NEWLINE, start)
      const parsed = parseEnvelopeLine(bytes.toString('utf8', start, end < 0 ? bytes.length : end), {kind: 'derived'})
      if (!parsed.ok || !this.shared.has(parsed.record.topic)) continue
      // As chunkRecords does: a record without a timestamp has the previous record's.
      parsed.record.timestamp ??= lastTimestamp(bytes.subarray(0, start), previousTimestamp)
      found.push(parsed.record)
    }
    this.apply(found)
    return found
  }
}
