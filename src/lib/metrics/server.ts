import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {FaError} from '../errors.js'
import {PrometheusMetrics} from './prometheus.js'
import type {ReadyPart} from './room.js'

/** The `/metrics` text of a scrape, given the served registry. */
export type Scrape = (own: PrometheusMetrics) => Promise<string>

export interface MetricsServer {
  metrics: PrometheusMetrics
  /** http://host:port, the port as bound (0 picks a free one). */
  url: string
  close(): Promise<void>
}

/**
 * Serves a daemon's `/metrics` (Prometheus text format), `/healthz` (the process answers) and
 * `/readyz` (every part in `parts` up and nothing failing; 503 otherwise) on `host:port`.
 */
export async function serveMetrics(options: {
  port: number
  host: string
  parts: ReadyPart[]
  /** The `/metrics` text, when it is more than this registry's (enrich's threads). */
  scrape?: Scrape
}): Promise<MetricsServer> {
  const metrics = new PrometheusMetrics(options.parts)
  const scrape = options.scrape ?? ((own) => own.registry.metrics())
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, {allow: 'GET, HEAD'}).end()
      return
    }
    if (path === '/metrics') {
      scrape(metrics).then(
        (text) => response.writeHead(200, {'content-type': metrics.registry.contentType}).end(text),
        (error: Error) => response.writeHead(500, {'content-type': 'text/plain'}).end(`${error.message}\n`),
      )
    } else if (path === '/healthz') {
      response.writeHead(200, {'content-type': 'text/plain'}).end('ok\n')
    } else if (path === '/readyz') {
      const health = metrics.health.toJSON()
      response
        .writeHead(health.ready ? 200 : 503, {'content-type': 'application/json'})
        .end(JSON.stringify(health) + '\n')
    } else {
      response.writeHead(404, {'content-type': 'text/plain'}).end('not found: try /metrics, /healthz or /readyz\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new FaError(`cannot serve metrics on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          hint: 'choose another --metrics-port (or metrics.port in the config)',
        }),
      ),
    )
    server.listen(options.port, options.host, resolve)
  })
  const {port} = server.address() as AddressInfo
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return {
    metrics,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
