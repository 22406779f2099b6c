import type {Worker} from 'node:worker_threads'

import {AggregatorRegistry, type MetricObjectWithValues, type MetricValue} from 'prom-client'

import {withTimeout} from '../kafka/client.js'
import {PrometheusMetrics} from './prometheus.js'
import type {Metrics, ReadyPart} from './room.js'

type ScrapedMetrics = Array<MetricObjectWithValues<MetricValue<string>>>

/** What a thread's metrics post to the main thread. */
export type FromThreadMetrics =
  | {kind: 'ready'; part: ReadyPart; up: boolean}
  | {kind: 'failing'; reason: string | null}
  | {kind: 'scraped'; id: number; metrics: ScrapedMetrics}

/** A thread that has not answered by then is left out of the scrape (it is stopping, or busy). */
const SCRAPE_TIMEOUT_MS = 3_000

/**
 * In an enrich thread: the thread's own registry (fa's metrics, not the process's), which the
 * main thread scrapes, and its readiness posted to the main thread as it changes.
 */
export function threadMetrics(post: (message: FromThreadMetrics) => void): {
  metrics: Metrics
  scrape(id: number): void
} {
  const metrics = new ThreadPrometheusMetrics(post)
  return {
    metrics,
    scrape: (id) =>
      void metrics.registry.getMetricsAsJSON().then((scraped) => post({kind: 'scraped', id, metrics: scraped})),
  }
}

/** A thread's metrics: readiness goes to the main thread, which answers /readyz for all. */
class ThreadPrometheusMetrics extends PrometheusMetrics {
  constructor(private readonly post: (message: FromThreadMetrics) => void) {
    super([], {processMetrics: false})
  }

  override ready(part: ReadyPart, up: boolean): void {
    this.post({kind: 'ready', part, up})
  }

  override failing(reason: string | null): void {
    this.post({kind: 'failing', reason})
  }
}

/**
 * In the main thread of `fa enrich --threads`: `/metrics` is the process's registry and every
 * thread's, aggregated (counts summed; rows, lag and readiness as each metric says), and a part
 * is ready once it is ready in every thread.
 */
export class ThreadMetricsHub {
  private workers: Worker[] = []
  private readonly asked = new Map<number, (metrics: ScrapedMetrics) => void>()
  private nextId = 0
  private readonly up: Array<Map<ReadyPart, boolean>> = []
  private readonly failures: Array<string | null> = []

  constructor(private readonly target: Metrics) {}

  watch(workers: Worker[]): void {
    this.workers = workers
    workers.forEach((worker, i) => {
      this.up[i] = new Map()
      this.failures[i] = null
      worker.on('message', (message: {kind: string}) => this.receive(i, message as FromThreadMetrics))
    })
  }

  async scrape(own: PrometheusMetrics): Promise<string> {
    const theirs = await Promise.all(this.workers.map((worker) => this.ask(worker)))
    const all = [await own.registry.getMetricsAsJSON(), ...theirs.filter((m) => m !== undefined)]
    return AggregatorRegistry.aggregate(all).metrics()
  }

  private ask(worker: Worker): Promise<ScrapedMetrics | undefined> {
    const id = this.nextId++
    const answer = new Promise<ScrapedMetrics>((resolve) => this.asked.set(id, resolve))
    worker.postMessage({kind: 'scrape', id})
    return withTimeout(answer, SCRAPE_TIMEOUT_MS).finally(() => this.asked.delete(id))
  }

  private receive(thread: number, message: FromThreadMetrics): void {
    if (message.kind === 'scraped') this.asked.get(message.id)?.(message.metrics)
    else if (message.kind === 'ready') {
      this.up[thread]!.set(message.part, message.up)
      this.target.ready(
        message.part,
        this.up.every((parts) => parts.get(message.part) === true),
      )
    } else if (message.kind === 'failing') {
      this.failures[thread] = message.reason
      this.target.failing(this.failures.find((reason) => reason !== null) ?? null)
    }
  }
}
