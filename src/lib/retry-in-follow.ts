import {FaError} from './errors.js'
import type {Logger} from './output/log.js'

/** In follow mode, a broker or registry that is down at start is waited for (with backoff); in cron mode it is an error. */
export async function retryInFollow<T>(
  fn: () => Promise<T>,
  options: {follow: boolean; signal: AbortSignal; log: Logger; what: string},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn()
    } catch (error) {
      if (!options.follow || options.signal.aborted || (error instanceof FaError && error.exitCode !== 5)) throw error
      const wait = Math.min(30_000, 1_000 * 2 ** attempt)
      options.log.warn(`${options.what} failed; retrying`, {error, inMs: wait})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait)
        options.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), {once: true})
      })
      if (options.signal.aborted) throw error
    }
  }
}
