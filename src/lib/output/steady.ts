import type {LogFields, Logger} from './log.js'

/** How often a daemon says how it is doing: FA_PROGRESS_EVERY_MS, else 30 s following and 10 s draining. */
export function progressEveryMs(follow: boolean, env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.FA_PROGRESS_EVERY_MS)
  return Number.isFinite(ms) && ms > 0 ? ms : follow ? 30_000 : 10_000
}

/**
 * One `message` line every `everyMs`, whether anything happened or not (silence would look like
 * a hang), with `fields()` read at that moment; a tick is skipped while the last one still
 * reads (a slow broker). Returns the function that stops it.
 */
export function steadyLog(log: Logger, message: string, everyMs: number, fields: () => Promise<LogFields>): () => void {
  let busy = false
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    fields()
      .then((f) => log.info(message, f))
      .catch((error: unknown) => log.debug('cannot read the progress', {error}))
      .finally(() => (busy = false))
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
