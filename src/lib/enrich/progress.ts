import type {Logger} from '../output/log.js'
import {progressBar} from '../output/progress.js'
import type {Summary} from '../pipeline/summary.js'

/**
 * While the event stream runs: a progress bar over the records to drain (drain mode, unless
 * `bar` is false), and a rate line in the log every minute. Returns the function that stops both.
 */
export function streamProgress(options: {
  /** Records to drain; undefined when following (no bar). */
  total: number | undefined
  bar: boolean
  processed: () => number
  summary: Summary
  log: Logger
}): () => void {
  const {total, summary, log, processed} = options
  const bar = total === undefined || !options.bar ? undefined : progressBar('events', Math.max(1, total), 'records')
  const ticker = bar ? setInterval(() => bar.update(Math.min(processed(), total!)), 200) : undefined
  let lastReport = {at: Date.now(), records: 0}
  const reporter = setInterval(() => {
    if (summary.records === lastReport.records) return
    const rate = Math.round(((summary.records - lastReport.records) * 1000) / (Date.now() - lastReport.at))
    lastReport = {at: Date.now(), records: summary.records}
    log.info('progress', {records: summary.records, perSecond: rate, ...summary.totals})
  }, 60_000)
  return () => {
    clearInterval(ticker)
    clearInterval(reporter)
    if (bar) {
      bar.update(Math.min(processed(), total!))
      bar.stop()
    }
  }
}
