import type {Logger} from '../output/log.js'
import {progressBar} from '../output/progress.js'
import {steadyLog} from '../output/steady.js'
import type {Summary} from '../pipeline/summary.js'

/**
 * While the event stream runs: a progress bar over the records to drain (drain mode, unless
 * `bar` is false), and a `progress` log line every `everyMs` with the events processed (what the
 * bar counts), alerts (and incidents, updates, resolutions), dead letters and the group's lag.
 * Returns the function that stops both.
 */
export function streamProgress(options: {
  /** Records to drain; undefined when following (no bar). */
  total: number | undefined
  bar: boolean
  processed: () => number
  summary: Summary
  log: Logger
  everyMs: number
  /** The group's lag on the source topics now (undefined: could not be read). */
  lag: () => Promise<number | undefined>
}): () => void {
  const {total, summary, log, processed} = options
  const bar = total === undefined || !options.bar ? undefined : progressBar('events', Math.max(1, total), 'records')
  const ticker = bar ? setInterval(() => bar.update(Math.min(processed(), total!)), 200) : undefined
  let last = {at: Date.now(), events: 0}
  const stopLog = steadyLog(log, 'progress', options.everyMs, async () => {
    const lag = await options.lag().catch(() => undefined)
    const now = {at: Date.now(), events: processed()}
    const perSecond = Math.round(((now.events - last.events) * 1000) / Math.max(1, now.at - last.at))
    last = now
    // Incidents' updates and resolutions too, when an alert type keeps them: the counts add up to the events.
    const {alerts, deadLetters, dropped, ...incidents} = summary.totals
    return {
      events: now.events,
      ...(total === undefined ? {} : {of: total}),
      perSecond,
      alerts,
      ...incidents,
      deadLetters,
      dropped,
      lag,
    }
  })
  return () => {
    clearInterval(ticker)
    stopLog()
    if (bar) {
      bar.update(Math.min(processed(), total!))
      bar.stop()
    }
  }
}
