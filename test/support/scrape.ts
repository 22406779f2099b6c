// Reads a Prometheus text exposition for tests: sample values by metric name and labels.
import type {FaProcess} from './fa-process.js'

/** A daemon's metrics server (http://host:port), from its `metrics listening` log line. */
export async function metricsUrl(fa: FaProcess): Promise<string> {
  const line = await fa.waitForLog((l) => l.msg === 'metrics listening')
  return String(line.url).replace(/\/metrics$/, '')
}

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The samples of a `/metrics` answer (comments skipped). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) continue
    const labels: Record<string, string> = {}
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!
    samples.push({name: match[1]!, labels, value: Number(match[3])})
  }
  return samples
}

/** The sum of the samples named `name` whose labels include `labels`. */
export function sampleSum(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0)
}

/** GETs `url`; resolves with the status and body. */
export async function get(url: string): Promise<{status: number; body: string}> {
  const response = await fetch(url)
  return {status: response.status, body: await response.text()}
}

/** Polls `url` until `ok(answer)`, or fails after `timeoutMs` with the last answer. */
export async function pollUntil(
  url: string,
  ok: (answer: {status: number; body: string}) => boolean,
  timeoutMs = 60_000,
): Promise<{status: number; body: string}> {
  const deadline = Date.now() + timeoutMs
  let last: {status: number; body: string} | undefined
  for (;;) {
    last = await get(url).catch((error: Error) => ({status: 0, body: error.message}))
    if (ok(last)) return last
    if (Date.now() > deadline)
      throw new Error(`${url}: still ${last.status} after ${timeoutMs} ms:\n${last.body.slice(0, 2000)}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
