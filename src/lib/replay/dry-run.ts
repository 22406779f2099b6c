import {availableParallelism} from 'node:os'

import type {LoadedConfig} from '../config/load.js'
import {readChunks} from '../fixtures/chunks.js'
import {FixtureError, lastTimestamp, totalSize, type FixtureProgress} from '../fixtures/read.js'
import type {ByteSink} from '../output/writer.js'
import type {Summary} from '../pipeline/summary.js'
import type {Topology} from '../pipeline/topology.js'
import type {TopicRecord} from '../records/record.js'
import {printerFor, type ReplayFormat} from './format.js'
import {Shard, type ChunkResult} from './shard.js'
import type {Helper} from './threads.js'
import {YoungGenerationCap} from './young-generation.js'

export type {ReplayFormat} from './format.js'

export interface FileCounts {
  records: number
  unread: number
}

export interface DryRunOptions {
  files: string[]
  topology: Topology
  format: ReplayFormat
  /** Other names fixtures may give topics (see topicAliases): none by default. */
  aliases?: ReadonlyMap<string, string>
  /**
   * Loads every table record of the files before any event, as `fa enrich` does after a replay
   * into Kafka, instead of applying them in file order (Kafka Streams' test driver).
   */
  tablesFirst?: boolean
  /** Receives what the records produce, as UTF-8, in file order. */
  out: ByteSink
  /** Receives the records' fates when the format explains them apart from the records (JSON Lines). */
  explainOut?: ByteSink
  /** Receives every fate with what it produced, as JSON Lines, when the format asks for a report. */
  reportOut?: ByteSink
  /** Filled with each file's records, and those on topics no pipeline reads (a file without records has no entry). */
  fileCounts?: Map<string, FileCounts>
  onProgress?: (progress: FixtureProgress) => void
  /**
   * Shares the chunks out among threads, helpers building `config`'s topology: `count` threads
   * (this one included), else as defaultThreads says.
   * Absent: this thread alone.
   */
  threads?: {config: LoadedConfig; count?: number}
  /** The size of a read, and so of a chunk: the unit the threads share. */
  chunkBytes?: number
}

/**
 * Below this, starting threads costs more than they save: each helper pays CPU to start and warm
 * up (its own isolate, the bundle, its JIT), which a smaller fixture does not earn back. Measured
 * on a 2-core VM with the typical mix, two threads were slower than one on smaller fixtures and
 * no faster just under this size (figures: docs/performance.md).
 */
export const PARALLEL_BYTES = 64 << 20

/**
 * Threads for a dry run not told how many: one per CPU (up to 4) from PARALLEL_BYTES, but one
 * when an enabled alert type keeps state. Every thread runs all the events of a stateful type's
 * source (its state must see them in file order), so more threads repeat that work instead of
 * sharing it: measured slower than one (docs/performance.md).
 */
export function defaultThreads(totalBytes: number, topology: Pick<Topology, 'statefulTopics'>): number {
  if (totalBytes < PARALLEL_BYTES || topology.statefulTopics.length > 0) return 1
  return Math.min(availableParallelism(), 4)
}

/**
 * Runs fixture files through the core in file order (so a table change affects only the events
 * after it): Kafka Streams' TopologyTestDriver for fa. With helper threads, this thread reads
 * the chunks, hands them to whichever helper has room and runs the rest itself; the output is
 * the same, in the same order.
 */
export async function replayDryRun({
  files,
  topology,
  format,
  aliases = new Map(),
  tablesFirst = false,
  out,
  explainOut,
  reportOut,
  fileCounts,
  onProgress,
  threads,
  chunkBytes,
}: DryRunOptions): Promise<Summary> {
  const totalBytes = await totalSize(files)
  const count = threads ? (threads.count ?? defaultThreads(totalBytes, topology)) : 1
  const shard = new Shard(topology, printerFor(format), aliases, tablesFirst)
  const helpers: Helper[] = []
  // Alone, this thread's young generation is the run's: helpers would share the process-wide knob.
  const youngGeneration = count === 1 ? new YoungGenerationCap() : undefined
  if (count > 1) {
    const {Helper, helperScript} = await import('./threads.js')
    const script = helperScript()
    for (let i = 1; i < count; i++)
      helpers.push(new Helper(script, {config: threads!.config, format, aliases, tablesFirst}))
  }

  // Chunk results in file order: this thread's at once, the helpers' when they arrive. The
  // bound keeps this thread from running far ahead of a slow helper with output in memory.
  const ahead = 8 * count
  const queue: Array<{result: Promise<ChunkResult>; settled: boolean}> = []
  const writeHead = async (): Promise<void> => {
    const result = await queue.shift()!.result
    if (result.kind === 'error') throw new FixtureError(result.file, result.line, result.reason)
    const pending = out.write(result.output)
    if (pending) await pending
    shard.recycle(result.output)
    if (result.explained && explainOut) await explainOut.write(result.explained)
    if (result.reported && reportOut) await reportOut.write(result.reported)
    if (fileCounts && result.records > 0) {
      const counts = fileCounts.get(result.file) ?? {records: 0, unread: 0}
      counts.records += result.records
      counts.unread += result.unread
      fileCounts.set(result.file, counts)
    }
    onProgress?.({bytesRead: result.bytesRead, totalBytes})
  }
  try {
    if (tablesFirst) {
      // Every thread holds the tables at their end before the events run: table records no longer pass between them.
      for await (const chunk of readChunks(files, chunkBytes)) {
        const found = shard.skim(chunk, 'tables')
        for (const helper of helpers) helper.tell(found)
      }
    }
    let previousTimestamp: string | undefined
    for await (const read of readChunks(files, chunkBytes)) {
      const chunk = {...read, previousTimestamp}
      previousTimestamp = lastTimestamp(read.bytes, previousTimestamp)
      // The chunk's shared records (tables unless loaded first, stateful events), for every helper that does not run it.
      let sharedRecords: TopicRecord[] = []
      let failed = false
      const helper = helpers.find((h) => h.free)
      if (helper) {
        sharedRecords = shard.skim(chunk)
        const entry = {result: helper.run(chunk), settled: false}
        const settle = () => (entry.settled = true)
        entry.result.then(settle, settle)
        queue.push(entry)
      } else {
        // Alone, there is no one to tell: collecting the shared records would only keep them alive.
        const result = shard.result(chunk, helpers.length > 0 ? sharedRecords : undefined)
        queue.push({result: Promise.resolve(result), settled: true})
        failed = result.kind === 'error'
      }
      for (const other of helpers) if (other !== helper) other.tell(sharedRecords)
      if (failed) break
      youngGeneration?.check()
      // Write what is ready; wait for a helper only when this thread is far enough ahead.
      while (queue.length > 0 && (queue[0]!.settled || queue.length > ahead)) await writeHead()
    }
    while (queue.length > 0) await writeHead()
    for (const helper of helpers) shard.summary.merge(await helper.finish())
    return shard.summary.orderBy(topology.pipelineNames, topology.dropReasons)
  } finally {
    youngGeneration?.release()
    await Promise.all(helpers.map((helper) => helper.stop()))
  }
}
