import type {Config} from '../config/schema.js'
import type {Logger} from '../output/log.js'
import {noMetrics, type Metrics, type ReadyPart} from './room.js'
import type {Scrape} from './server.js'

export interface DaemonMetrics {
  metrics: Metrics
  /** Whether a server is up (else `metrics` is the no-op room). */
  serving: boolean
  close(): Promise<void>
}

/**
 * The metrics of a `--follow` daemon: served on `--metrics-port` (else `metrics.port` in the
 * config) at `metrics.host`; without a port, or without --follow, the no-op room and no server.
 * prom-client is loaded only when served, so cron runs never pay for it.
 */
export async function daemonMetrics(options: {
  config: Config
  port: number | undefined
  follow: boolean
  parts: ReadyPart[]
  log: Logger
  scrape?: Scrape
}): Promise<DaemonMetrics> {
  const port = options.port ?? options.config.metrics.port
  if (!options.follow || port === undefined) return {metrics: noMetrics, serving: false, close: async () => {}}
  const {serveMetrics} = await import('./server.js')
  const server = await serveMetrics({
    port,
    host: options.config.metrics.host,
    parts: options.parts,
    scrape: options.scrape,
  })
  options.log.info('metrics listening', {
    url: `${server.url}/metrics`,
    health: `${server.url}/healthz`,
    ready: `${server.url}/readyz`,
  })
  return {metrics: server.metrics, serving: true, close: () => server.close()}
}
