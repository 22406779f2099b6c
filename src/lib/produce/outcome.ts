import {ResultsPageError} from '../bigquery/query.js'
import {ExitCode, FaError, type ExitCodeName} from '../errors.js'
import type {Window} from './window.js'
import {plural} from '../output/plural.js'

/* How a produce run ends for the user: interrupted, or failed (what was produced, the checkpoint). */

/** Resolves with `promise`, or rejects with InterruptedError as soon as `signal` aborts. */
export async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.catch(() => {})
    throw new InterruptedError()
  }
  let onAbort!: () => void
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new InterruptedError())
    signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
    promise.catch(() => {})
  }
}

/** The run was stopped by a signal: nothing after the last acknowledged batch, checkpoint unchanged. */
export class InterruptedError extends FaError {
  constructor() {
    super('interrupted: the checkpoint was not advanced', {
      exit: 'usage',
      hint: 'the next run repeats the window; repeated events keep their ids',
    })
    this.name = 'InterruptedError'
  }
}

/**
 * Moves the checkpoint to the window's end when the window starts at or before it (or there is
 * none yet): never backwards, and never over a gap between the checkpoint and the window.
 */
export function checkpointDecision(previous: string | null, window: Window): {advance: boolean; note?: string} {
  if (previous === null) return {advance: true}
  const mark = new Date(previous)
  if (window.until <= mark)
    return {advance: false, note: `the checkpoint (${previous}) is already at or after this window's end`}
  if (window.since > mark) {
    return {
      advance: false,
      note:
        `this window starts after the checkpoint (${previous}); moving it would skip the rows in ` +
        `between: run once with --since ${previous} to close the gap`,
    }
  }
  return {advance: true}
}

/** After a failure, says what was already produced and that the checkpoint stayed. */
export function explainFailure(error: unknown, state: {produced: number; dryRun: boolean}): unknown {
  if (!(error instanceof FaError) || state.dryRun || error instanceof InterruptedError) return error
  const exit = (Object.entries(ExitCode).find(([, code]) => code === error.exitCode)?.[0] ?? 'usage') as ExitCodeName
  // A results page that failed mid-run: one short line, what failed and where the run stands.
  if (error instanceof ResultsPageError) {
    const done =
      state.produced === 0 ? 'nothing produced' : `${plural(state.produced, 'record')} produced (repeated next run)`
    return new FaError(`${error.message}; ${done}, the checkpoint did not move`, {exit, cause: error.cause ?? error})
  }
  if (state.produced === 0) return error
  const note =
    `${plural(state.produced, 'record')} ${state.produced === 1 ? 'was' : 'were'} produced before the failure and the checkpoint was not ` +
    `advanced: the next run repeats ${state.produced === 1 ? 'it' : 'them'} with the same event ids`
  return new FaError(error.message, {
    exit,
    hint: error.hint ? `${error.hint}; ${note}` : note,
    cause: error.cause ?? error,
  })
}
