import type {FixtureChunk} from '../fixtures/chunks.js'
import {eachChunkRecord, FixtureError, lastTimestamp} from '../fixtures/read.js'
import {Utf8Buffer} from '../output/utf8-buffer.js'
import {eventTime} from '../pipeline/incidents.js'
import {MemoryStateStore} from '../pipeline/state.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {parseEnvelopeLine} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'
import type {Printer} from './format.js'

const NEWLINE = 0x0a
/** How often (in stream time) closed windows are swept from state: as enrich's StateKeeper does. */
const SWEEP_EVERY_MS = 60_000

export type Produced = Extract<Outcome, {kind: 'alert' | 'update' | 'dead-letter'}>

/** What one chunk came to: its output as UTF-8, or the line that stopped the run. */
export type ChunkResult =
  | {
      kind: 'chunk'
      index: number
      file: string
      output: Uint8Array
      /** The records' fates, when they go apart from the output. */
      explained?: Uint8Array
      /** The records' fates with what they produced, for the HTML report. */
      reported?: Uint8Array
      /** Records in the chunk, and those on topics no pipeline reads. */
      records: number
      unread: number
      bytesRead: number
    }
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
  /** With tables first: where table records go when run in file order, for their outcome only. */
  private readonly scratch = new TableStore()
  /** The topics whose records are shared while the events run, and the table topics. */
  private readonly shared: Set<string>
  private readonly tableTopics: Set<string>
  /** What every line that could be such a record holds: its topic as JSON, or an escape that could spell one. */
  private readonly sharedMarks: Buffer[]
  private readonly tableMarks: Buffer[]
  /** The topics of stateful alert types: their records' times are the stream time incidents expire by. */
  private readonly stateful: Set<string>
  /** Output bytes per input byte of the last chunk run: about 0.4 for the typical mix, 3 for an alert-heavy one. */
  private outputPerByte = 0.5
  /** A chunk's output whose bytes were written: the next chunk's output goes into its memory. */
  private spareOutput: Uint8Array | undefined
  /** The latest event time of a stateful topic's record so far (ms), when the state was last swept, and the timestamp last read. */
  private streamTime = 0
  private sweptAt = 0
  private lastTimestamp: string | undefined

  constructor(
    private readonly topology: Topology,
    private readonly printer: Printer,
    /** Other names fixtures may give topics (see topicAliases). */
    private readonly aliases: ReadonlyMap<string, string> = new Map(),
    /** The tables were loaded to their end before the run (skim): table records no longer change them. */
    private readonly tablesFirst = false,
  ) {
    this.tableTopics = new Set(topology.tableTopics.map(({topic}) => topic))
    this.stateful = new Set(topology.statefulTopics)
    this.shared = new Set([...(tablesFirst ? [] : this.tableTopics), ...this.stateful])
    this.sharedMarks = this.marksFor(this.shared)
    this.tableMarks = this.marksFor(this.tableTopics)
  }

  /** The names a fixture may give `topics` (aliases included) as JSON, and the escapes that could spell one. */
  private marksFor(topics: ReadonlySet<string>): Buffer[] {
    const aliases = [...this.aliases].filter(([, topic]) => topics.has(topic)).map(([alias]) => alias)
    return [
      ...[...topics, ...aliases].map((name) => Buffer.from(JSON.stringify(name))),
      Buffer.from('\\u'),
      Buffer.from('\\/'),
    ]
  }

  /**
   * What a chunk's records produce, as UTF-8; its shared records also go to `sharedRecords` when given.
   * A line that is not a record throws a FixtureError (FILE:LINE), and the chunk's output goes with
   * it: the run stops there, so nothing of the chunk is written.
   */
  private run(chunk: FixtureChunk, sharedRecords?: TopicRecord[]): Extract<ChunkResult, {kind: 'chunk'}> {
    // As much per input byte as the last chunk produced, and a little more, so it seldom grows (each growth is a copy).
    const expected = Math.max(4096, Math.ceil(chunk.bytes.length * Math.max(0.125, this.outputPerByte) * 1.1))
    const spare = this.spareOutput
    this.spareOutput = undefined
    // New memory has room for a quarter more, so that it is still large enough when it comes round again.
    const out = new Utf8Buffer(
      spare && spare.buffer.byteLength >= expected ? Buffer.from(spare.buffer) : expected + (expected >> 2),
    )
    const {produced, explain, explainApart, report} = this.printer
    const explained = explain && (explainApart ? new Utf8Buffer(4096) : out)
    const reported = report && new Utf8Buffer(4096)
    let unread = 0
    // Each record runs as soon as it is parsed; a bad line throws, and the chunk's output goes with it.
    const records = eachChunkRecord(chunk, this.aliases, (record) => {
      const tables = this.tablesFirst && this.tableTopics.has(record.topic) ? this.scratch : this.tables
      const outcomes = this.topology.process(record, tables, this.state)
      if (this.stateful.has(record.topic)) this.advance(record)
      this.summary.add(outcomes)
      if (explained) explained.write(explain(record, outcomes))
      if (reported) reported.write(report(record, outcomes))
      if (sharedRecords && this.shared.has(record.topic)) sharedRecords.push(record)
      for (const outcome of outcomes) {
        if (outcome.kind === 'alert' || outcome.kind === 'update' || outcome.kind === 'dead-letter')
          out.write(produced(outcome, record))
        else if (outcome.kind === 'unrouted') unread++
      }
    })
    if (chunk.bytes.length > 0) this.outputPerByte = out.bytes.length / chunk.bytes.length
    return {
      kind: 'chunk',
      index: chunk.index,
      file: chunk.file,
      output: out.bytes,
      ...(explained && explainApart ? {explained: explained.bytes} : {}),
      ...(reported ? {reported: reported.bytes} : {}),
      records,
      unread,
      bytesRead: chunk.bytesRead,
    }
  }

  /** A chunk run, as a result to pass on in file order: a line that is not a record becomes an 'error' result. */
  result(chunk: FixtureChunk, sharedRecords?: TopicRecord[]): ChunkResult {
    try {
      return this.run(chunk, sharedRecords)
    } catch (error) {
      if (!(error instanceof FixtureError)) throw error
      return {kind: 'error', index: chunk.index, file: error.file, line: error.line, reason: error.reason}
    }
  }

  /**
   * A chunk result's output (this thread's or a helper's) once its bytes are written and nothing
   * holds them: the next chunk run here reuses its memory rather than leave it to the garbage
   * collector (outside the heap, such memory waits for a mark-compact, adding to the peak).
   */
  recycle(output: Uint8Array): void {
    if (!this.spareOutput || output.buffer.byteLength > this.spareOutput.buffer.byteLength) this.spareOutput = output
  }

  /** Shared records that other threads' chunks held, in file order, as if they were run here (without output). */
  apply(sharedRecords: TopicRecord[]): void {
    for (const record of sharedRecords) {
      this.topology.process(record, this.tables, this.state)
      if (this.stateful.has(record.topic)) this.advance(record)
    }
  }

  /**
   * Moves stream time on to a stateful topic's record and, once a minute of it, deletes the
   * incidents whose windows it has closed, as enrich does: a dry run's state stays bounded, and a
   * late event after its incident's window opens a new one there too. Per record, so every
   * thread sweeps at the same records, whichever of them runs a chunk.
   */
  private advance(record: TopicRecord): void {
    if (record.timestamp === this.lastTimestamp) return
    this.lastTimestamp = record.timestamp
    this.streamTime = Math.max(this.streamTime, eventTime(record))
    if (this.streamTime - this.sweptAt < SWEEP_EVERY_MS) return
    this.sweptAt = this.streamTime
    this.topology.expire(this.state, () => this.streamTime)
  }

  /**
   * The shared records of a chunk another thread runs (with `tables`, the table records of a
   * chunk, for loading the tables first), applied here too: only lines that could be one are
   * parsed. What else is wrong with the chunk is the other thread's to report.
   */
  skim({bytes, previousTimestamp}: FixtureChunk, which: 'shared' | 'tables' = 'shared'): TopicRecord[] {
    const [topics, marks] = which === 'tables' ? [this.tableTopics, this.tableMarks] : [this.shared, this.sharedMarks]
    const starts = new Set<number>()
    for (const mark of marks) {
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
      if (!parsed.ok) continue
      parsed.record.topic = this.aliases.get(parsed.record.topic) ?? parsed.record.topic
      if (!topics.has(parsed.record.topic)) continue
      // As chunkRecords does: a record without a timestamp has the previous record's.
      parsed.record.timestamp ??= lastTimestamp(bytes.subarray(0, start), previousTimestamp)
      found.push(parsed.record)
    }
    this.apply(found)
    return found
  }
}
