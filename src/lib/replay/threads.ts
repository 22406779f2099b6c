import {createRequire} from 'node:module'
import {Worker} from 'node:worker_threads'

import type {LoadedConfig} from '../config/load.js'
import type {FixtureChunk} from '../fixtures/chunks.js'
import type {SummaryCounts} from '../pipeline/summary.js'
import type {TopicRecord} from '../records/record.js'
import type {ReplayFormat} from './format.js'
import type {ChunkResult} from './shard.js'

/** What a replay helper thread is given to start. */
export interface HelperJob {
  config: LoadedConfig
  format: ReplayFormat
  aliases: ReadonlyMap<string, string>
  tablesFirst: boolean
}

/** To a helper: run a chunk, after the shared records (tables, stateful events) of the chunks before it that it did not run. */
export type HelperRequest = {kind: 'run'; chunk: FixtureChunk; sharedRecords: TopicRecord[]} | {kind: 'end'}

/** From a helper: ready to run, what a chunk came to (in the order asked), its counts at the end. */
export type HelperMessage = {kind: 'ready'} | ChunkResult | {kind: 'done'; summary: SummaryCounts}

/** Chunks a helper may hold at once: one to run, one waiting, so it never idles between messages. */
const BACKLOG = 2

/**
 * A helper thread of a dry run: it runs the chunks it is handed through its own copy of the
 * topology, and hears of every shared record (tables, stateful events) of the chunks it is not handed.
 */
export class Helper {
  private ready = false
  private handed = 0
  private readonly asked: Array<{resolve: (result: ChunkResult) => void; reject: (error: Error) => void}> = []
  /** Shared records of chunks it did not run, to send with the next chunk it runs. */
  private sharedRecords: TopicRecord[] = []
  private done: {resolve: (summary: SummaryCounts) => void; reject: (error: Error) => void} | undefined
  private failure: Error | undefined
  private readonly worker: Worker

  constructor(script: string, job: HelperJob) {
    this.worker = new Worker(script, {workerData: job})
    this.worker.on('message', (message: HelperMessage) => this.receive(message))
    this.worker.on('error', (error) => this.fail(error))
    this.worker.on('exit', () => this.fail(new Error('a replay thread stopped before it was done')))
  }

  /**
   * Has room for another chunk: a starting helper takes its first one at once (so every
   * helper has a part in every run that has the chunks for it), then more once it is ready.
   */
  get free(): boolean {
    return !this.failure && (this.ready ? this.asked.length < BACKLOG : this.handed === 0)
  }

  /** Hands a chunk over (a copy of its bytes goes with it): what it came to, in time. */
  run(chunk: FixtureChunk): Promise<ChunkResult> {
    const bytes = new Uint8Array(chunk.bytes)
    const request: HelperRequest = {
      kind: 'run',
      chunk: {...chunk, bytes: bytes as Buffer},
      sharedRecords: this.sharedRecords,
    }
    this.sharedRecords = []
    this.handed++
    this.worker.postMessage(request, [bytes.buffer])
    return new Promise((resolve, reject) => this.asked.push({resolve, reject}))
  }

  /** Shared records of a chunk it does not run. */
  tell(sharedRecords: TopicRecord[]): void {
    for (const record of sharedRecords) this.sharedRecords.push(record)
  }

  /** Its counts, once every chunk it was handed is run. */
  finish(): Promise<SummaryCounts> {
    const done = new Promise<SummaryCounts>((resolve, reject) => (this.done = {resolve, reject}))
    if (this.failure) this.done!.reject(this.failure)
    else this.worker.postMessage({kind: 'end'} satisfies HelperRequest)
    return done
  }

  async stop(): Promise<void> {
    this.failure ??= new Error('stopped')
    await this.worker.terminate()
  }

  private receive(message: HelperMessage): void {
    if (message.kind === 'ready') this.ready = true
    else if (message.kind === 'done') this.done?.resolve(message.summary)
    else this.asked.shift()?.resolve(message)
  }

  private fail(error: Error): void {
    if (this.failure) return
    this.failure = error
    for (const {reject} of this.asked.splice(0)) reject(error)
    this.done?.reject(error)
  }
}

/** The script a helper thread runs: the bundled worker.ts, found through the package's own exports. */
export function helperScript(): string {
  return createRequire(import.meta.url).resolve('fa/replay-worker')
}
