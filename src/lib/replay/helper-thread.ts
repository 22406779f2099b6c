/**
 * A replay helper thread: runs the chunks it is handed through the core and sends back what
 * they produce, as UTF-8 in memory handed over with them (see threads.ts and dry-run.ts).
 */
import {parentPort, workerData} from 'node:worker_threads'

import {FixtureError} from '../fixtures/read.js'
import {buildTopology} from '../pipeline/build.js'
import {bytesView} from '../records/record.js'
import {formatterFor} from './format.js'
import {Shard} from './shard.js'
import type {HelperJob, HelperMessage, HelperRequest} from './threads.js'

const job = workerData as HelperJob
const shard = new Shard(await buildTopology(job.config), formatterFor(job.format))
const port = parentPort!
const post = (message: HelperMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)

port.on('message', (request: HelperRequest) => {
  if (request.kind === 'end') {
    post({kind: 'done', summary: shard.summary.counts()})
    return
  }
  const {tableRecords} = request
  // The bytes come as a plain Uint8Array: a Buffer over the same memory reads them as text.
  const chunk = {...request.chunk, bytes: bytesView(request.chunk.bytes)}
  shard.apply(tableRecords)
  let output: Uint8Array
  try {
    output = shard.run(chunk)
  } catch (error) {
    if (!(error instanceof FixtureError)) throw error
    post({kind: 'error', index: chunk.index, file: error.file, line: error.line, reason: error.reason})
    return
  }
  post({kind: 'chunk', index: chunk.index, output, bytesRead: chunk.bytesRead}, [output.buffer as ArrayBuffer])
})
post({kind: 'ready'})
