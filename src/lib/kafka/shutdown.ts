import type {Logger} from '../output/log.js'

export interface ShutdownSignals {
  /** Aborted by the first SIGINT/SIGTERM; its reason names the signal. */
  readonly signal: AbortSignal
  /** The first signal received, if any. */
  readonly received: NodeJS.Signals | undefined
  /** The exit code a run cut short by the signal should end with (130 for SIGINT, 143 for SIGTERM). */
  readonly exitCode: number | undefined
  /** Removes the handlers (call in `finally`). */
  dispose(): void
}

export interface ShutdownOptions {
  log?: Logger
  signals?: NodeJS.Signals[]
  /** The exit code of a second signal (default: that signal's, 130 for SIGINT, 143 for SIGTERM). */
  secondSignalExitCode?: number
}

/**
 * Graceful stop for long-running commands: the first SIGINT/SIGTERM aborts `signal` (finish or
 * abort what is in flight, record, commit, disconnect), a second one exits at once. Never calls
 * oclif's `this.exit()` (it throws outside the command's error handling).
 */
export function handleShutdownSignals(options: ShutdownOptions = {}): ShutdownSignals {
  const controller = new AbortController()
  const signals = options.signals ?? ['SIGINT', 'SIGTERM']
  let received: NodeJS.Signals | undefined
  const codeOf = (signal: NodeJS.Signals) => (signal === 'SIGTERM' ? 143 : 130)
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      options.log?.warn('second signal: exiting now', {signal})
      process.exit(options.secondSignalExitCode ?? codeOf(signal))
    }
    received = signal
    options.log?.info('stopping', {signal})
    controller.abort(new Error(`stopped by ${signal}`))
  }
  for (const signal of signals) process.on(signal, onSignal)
  return {
    signal: controller.signal,
    get received() {
      return received
    },
    get exitCode() {
      return received ? codeOf(received) : undefined
    },
    dispose() {
      for (const signal of signals) process.off(signal, onSignal)
    },
  }
}
