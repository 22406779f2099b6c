/**
 * A replay helper thread: runs the chunks it is handed through the core and sends back what
 * they produce, as UTF-8 in memory handed over with them (see threads.ts and dry-run.ts).
 */
import {parentPort, workerData} from 'node:worker_threads'

import {buildTopology} from '../alerts/topology.js'
import {bytesView} from '../records/record.js'
import {printerFor} from './format.js'
import {Shard} from './shard.js'
import type {HelperJob, HelperMessage, HelperRequest} from './threads.js'

const job = workerData as HelperJob
const shard = new Shard(await buildTopology(job.config), printerFor(job.format), job.aliases, job.tablesFirst)
const port = parentPort!
const post = (message: HelperMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer)

port.on('message', (request: HelperRequest) => {
  if (request.kind === 'end') {
    post({kind: 'done', summary: shard.summary.counts()})
    return
  }
  shard.apply(request.sharedRecords)
  // The bytes come as a plain Uint8Array: a Buffer over the same memory reads them as text.
  const result = shard.result({...request.chunk, bytes: bytesView(request.chunk.bytes)})
  const transfer =
    result.kind === 'chunk'
      ? [result.output, ...[result.explained, result.reported].filter((bytes) => bytes !== undefined)]
      : []
  post(
    result,
    transfer.map((bytes) => bytes.buffer as ArrayBuffer),
  )
})
post({kind: 'ready'})
