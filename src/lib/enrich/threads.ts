import {createRequire} from 'node:module'
import {hostname} from 'node:os'
import {Worker} from 'node:worker_threads'

import type {LoadedConfig} from '../config/load.js'
import {ExitCode, FaError, type ExitCodeName} from '../errors.js'
import type {FromThreadMetrics, ThreadMetricsHub} from '../metrics/threads.js'
import type {LogFormat, LogLevel} from '../output/log.js'
import {Summary, type SummaryCounts} from '../pipeline/summary.js'
import type {EnrichOptions, EnrichResult} from './options.js'

/** The options a thread runs with: the command's that can cross to another thread. */
export type ThreadOptions = Pick<EnrichOptions, 'group' | 'exactlyOnce' | 'follow' | 'from' | 'tuning' | 'env'>

/** What an enrich thread is given to start. */
export interface EnrichThreadJob {
  index: number
  config: LoadedConfig
  options: ThreadOptions & {instance: string}
  log: {level?: LogLevel; format: LogFormat}
  /** Count for the main thread's `/metrics` (a daemon with a metrics port). */
  metrics: boolean
}

/** A thread's result: the run's, with its summary as plain counts. */
export type ThreadResult = Omit<EnrichResult, 'summary'> & {summary: SummaryCounts}

/** To a thread: stop; every thread has its tables, join the group; send your metrics. */
export type ToThread = {kind: 'stop'} | {kind: 'join'} | {kind: 'scrape'; id: number}
/** From a thread: its tables are loaded (it waits to join), its result, its failure, its metrics. */
export type FromThread =
  | {kind: 'loaded'}
  | {kind: 'result'; result: ThreadResult}
  | {kind: 'error'; error: {message: string; hint?: string; exitCode?: number; stack?: string}}
  | FromThreadMetrics

/** What several threads came to, as one run: every thread's transactional id. */
export type ThreadsResult = EnrichResult & {transactionalIds: string[]}

/**
 * `fa enrich --threads N`: N members of the group in one process, each on a thread of its own
 * with its own clients, tables and state, like Kafka Streams' `num.stream.threads`. Thread 0
 * keeps the instance id (so it fences a one-thread run of the same instance); thread i adds
 * `-t<i>`. Only thread 0 writes and counts the tables' dead letters. A signal stops them all; a
 * thread that fails stops the others, and its error is the run's.
 */
export async function runEnrichThreads(
  options: EnrichOptions,
  {
    loaded,
    threads,
    log,
    hub,
  }: {loaded: LoadedConfig; threads: number; log: EnrichThreadJob['log']; hub?: ThreadMetricsHub},
): Promise<ThreadsResult> {
  const {group, exactlyOnce, follow, from, tuning, env, signal} = options
  const instance = options.instance ?? hostname()
  const script = createRequire(import.meta.url).resolve('fa/enrich-worker')
  const members = Array.from(
    {length: threads},
    (_, index) =>
      new EnrichThread(script, {
        index,
        config: loaded,
        options: {
          group,
          exactlyOnce,
          follow,
          from,
          tuning,
          env,
          instance: index === 0 ? instance : `${instance}-t${index}`,
        },
        log,
        metrics: hub !== undefined,
      }),
  )
  hub?.watch(members.map((m) => m.worker))
  void Promise.all(members.map((m) => m.loaded)).then(() => members.forEach((m) => m.join()))
  const stopAll = () => members.forEach((m) => m.stop())
  signal?.addEventListener('abort', stopAll, {once: true})
  const settled = await Promise.allSettled(
    members.map((m) =>
      m.done.catch((error: unknown) => {
        stopAll()
        throw error
      }),
    ),
  )
  signal?.removeEventListener('abort', stopAll)
  const failed = settled.find((s) => s.status === 'rejected')
  if (failed) throw failed.reason
  const result = mergeResults(settled.map((s) => (s as PromiseFulfilledResult<ThreadResult>).value))
  result.summary.orderBy(options.topology.pipelineNames, options.topology.dropReasons)
  return result
}

/** The threads' results as one run's: counts summed, times spanning them all, lag as the last to stop read it. */
export function mergeResults(results: ThreadResult[]): ThreadsResult {
  const summary = new Summary()
  for (const r of results) summary.merge(r.summary)
  const first = results[0]!
  const last = results.reduce((a, b) => (b.ms > a.ms ? b : a))
  const starts = results.map((r) => r.streamStartedAt).filter((t) => t !== null)
  const batches = results.map((r) => r.lastBatchAt).filter((t) => t !== null)
  return {
    ...first,
    summary,
    transactionalIds: results.map((r) => r.transactionalId).filter((id) => id !== null),
    stoppedBy: results.some((r) => r.stoppedBy === 'signal') ? 'signal' : 'end',
    lag: last.lag,
    ms: last.ms,
    streamMs: Math.max(...results.map((r) => r.streamMs)),
    streamStartedAt: starts.length > 0 ? Math.min(...starts) : null,
    lastBatchAt: batches.length > 0 ? Math.max(...batches) : null,
  }
}

/** One thread of the run, and the result it posts when it ends. */
class EnrichThread {
  readonly worker: Worker
  readonly done: Promise<ThreadResult>
  /** Its tables are loaded; never settles for a thread that ends first (the others stop then). */
  readonly loaded: Promise<void>

  constructor(script: string, job: EnrichThreadJob) {
    this.worker = new Worker(script, {workerData: job})
    let loaded = () => {}
    this.loaded = new Promise((resolve) => (loaded = resolve))
    this.done = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromThread) => {
        if (message.kind === 'loaded') return loaded()
        if (message.kind === 'result') resolve(message.result)
        else if (message.kind === 'error') reject(rebuiltError(message.error))
        else return
        void this.worker.terminate()
      })
      this.worker.on('error', reject)
      this.worker.on('exit', (code) => reject(new Error(`enrich thread ${job.index} stopped (exit code ${code})`)))
    })
  }

  stop(): void {
    this.worker.postMessage({kind: 'stop'} satisfies ToThread)
  }

  join(): void {
    this.worker.postMessage({kind: 'join'} satisfies ToThread)
  }
}

/** An error a thread posted, as the error it was: an FaError keeps its hint and exit code. */
function rebuiltError(error: {message: string; hint?: string; exitCode?: number; stack?: string}): Error {
  if (error.exitCode === undefined) return Object.assign(new Error(error.message), {stack: error.stack})
  const exit = (Object.entries(ExitCode) as Array<[ExitCodeName, number]>).find(([, code]) => code === error.exitCode)
  return new FaError(error.message, {hint: error.hint, exit: exit?.[0]})
}
