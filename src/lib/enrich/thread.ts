/**
 * An enrich thread: one member of the group, running `runEnrich` with clients, tables and state
 * of its own, stopped by the main thread and posting its result to it (see threads.ts).
 */
import {parentPort, workerData} from 'node:worker_threads'

import {buildTopology} from '../alerts/topology.js'
import {FaError} from '../errors.js'
import {createLogger} from '../output/log.js'
import {runEnrich} from './run.js'
import type {EnrichThreadJob, FromThread, ToThread} from './threads.js'

const job = workerData as EnrichThreadJob
const port = parentPort!
const post = (message: FromThread) => port.postMessage(message)
const stop = new AbortController()
const counted = job.metrics ? (await import('../metrics/threads.js')).threadMetrics(post) : undefined
let joining: (() => void) | undefined
port.on('message', (message: ToThread) => {
  if (message.kind === 'stop') {
    stop.abort()
    joining?.()
  } else if (message.kind === 'join') joining?.()
  else counted?.scrape(message.id)
})

let outcome: FromThread
try {
  const result = await runEnrich({
    ...job.options,
    config: job.config.config,
    topology: await buildTopology(job.config),
    signal: stop.signal,
    log: createLogger(job.log).child({thread: job.index}),
    metrics: counted?.metrics,
    progress: false,
    tableOutcomes: job.index === 0,
    beforeJoin: () =>
      new Promise<void>((resolve) => {
        joining = resolve
        post({kind: 'loaded'})
      }),
  })
  outcome = {kind: 'result', result: {...result, summary: result.summary.counts()}}
} catch (error) {
  const e = error instanceof Error ? error : new Error(String(error))
  outcome = {
    kind: 'error',
    error: {message: e.message, stack: e.stack, ...(e instanceof FaError && {hint: e.hint, exitCode: e.exitCode})},
  }
}
await flushed(process.stderr)
post(outcome)

/** A thread's stderr reaches the process's through the main thread: let its last lines through first. */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}
