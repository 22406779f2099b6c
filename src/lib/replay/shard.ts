import type {FixtureChunk} from '../fixtures/chunks.js'
import {chunkRecords, FixtureError} from '../fixtures/read.js'
import {Utf8Buffer} from '../output/utf8-buffer.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {parseEnvelopeLine} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'
import type {Printer} from './format.js'

const NEWLINE = 0x0a

export type Produced = Extract<Outcome, {kind: 'alert' | 'dead-letter'}>

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
 * One thread's share of a dry run: the core over the chunks it runs, with tables that must
 * hold what the files said up to the chunk at hand, whoever ran the chunks before it. Alone,
 * it is the whole dry run. Alert types are pure (as they are for enrich, where a topic's
 * partitions are shared out the same way), so which thread runs an event changes nothing.
 */
export class Shard {
  readonly summary = new Summary()
  private readonly tables = new TableStore()
  /** With tables first: where table records go when run in file order, for their outcome only. */
  private readonly scratch = new TableStore()
  /** What every line that could be a table record holds: a table topic as JSON, or an escape that could spell one. */
  private readonly tableMarks: Buffer[]

  constructor(
    private readonly topology: Topology,
    private readonly printer: Printer,
    /** Other names fixtures may give topics (see topicAliases). */
    private readonly aliases: ReadonlyMap<string, string> = new Map(),
    /** The tables were loaded to their end before the run (skim): table records no longer change them. */
    private readonly tablesFirst = false,
  ) {
    const tableNames = [...aliases].filter(([, topic]) => topology.isTableTopic(topic)).map(([alias]) => alias)
    this.tableMarks = [
      ...[...topology.tableTopics.map(({topic}) => topic), ...tableNames].map((name) =>
        Buffer.from(JSON.stringify(name)),
      ),
      Buffer.from('\\u'),
      Buffer.from('\\/'),
    ]
  }

  /**
   * What a chunk's records produce, as UTF-8; its table records also go to `tableRecords` when given.
   * A line that is not a record throws a FixtureError (FILE:LINE) before any record is run.
   */
  private run(chunk: FixtureChunk, tableRecords?: TopicRecord[]): Extract<ChunkResult, {kind: 'chunk'}> {
    // About what a chunk of the typical mix produces; an alert-heavy one grows it a few times.
    const out = new Utf8Buffer(Math.max(4096, chunk.bytes.length >> 1))
    const {produced, explain, explainApart, report} = this.printer
    const explained = explain && (explainApart ? new Utf8Buffer(4096) : out)
    const reported = report && new Utf8Buffer(4096)
    const records = chunkRecords(chunk, this.aliases)
    let unread = 0
    for (const record of records) {
      const tables = this.tablesFirst && this.topology.isTableTopic(record.topic) ? this.scratch : this.tables
      const outcomes = this.topology.process(record, tables)
      this.summary.add(outcomes)
      if (explained) explained.write(explain(record, outcomes))
      if (reported) reported.write(report(record, outcomes))
      for (const outcome of outcomes) {
        if (outcome.kind === 'alert' || outcome.kind === 'dead-letter') out.write(produced(outcome, record))
        else if (outcome.kind === 'table') tableRecords?.push(record)
        else if (outcome.kind === 'unrouted') unread++
      }
    }
    return {
      kind: 'chunk',
      index: chunk.index,
      file: chunk.file,
      output: out.bytes,
      ...(explained && explainApart ? {explained: explained.bytes} : {}),
      ...(reported ? {reported: reported.bytes} : {}),
      records: records.length,
      unread,
      bytesRead: chunk.bytesRead,
    }
  }

  /** A chunk run, as a result to pass on in file order: a line that is not a record becomes an 'error' result. */
  result(chunk: FixtureChunk, tableRecords?: TopicRecord[]): ChunkResult {
    try {
      return this.run(chunk, tableRecords)
    } catch (error) {
      if (!(error instanceof FixtureError)) throw error
      return {kind: 'error', index: chunk.index, file: error.file, line: error.line, reason: error.reason}
    }
  }

  /** Table records that other threads' chunks held, in file order, as if they were run here. */
  apply(tableRecords: TopicRecord[]): void {
    for (const record of tableRecords) this.topology.process(record, this.tables)
  }

  /**
   * The table records of a chunk another thread runs, applied here too: only lines that could
   * be one are parsed. What else is wrong with the chunk is the other thread's to report.
   */
  skim({bytes}: FixtureChunk): TopicRecord[] {
    const starts = new Set<number>()
    for (const mark of this.tableMarks) {
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
      if (this.topology.isTableTopic(parsed.record.topic)) found.push(parsed.record)
    }
    this.apply(found)
    return found
  }
}
