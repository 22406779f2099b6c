/**
 * Exit codes a cron wrapper can tell apart.
 * 1 is reserved for "ran, but found differences" (replay --expect).
 */
export const ExitCode = {
  differences: 1,
  usage: 2,
  input: 3,
  source: 4,
  kafka: 5,
  slack: 6,
  locked: 7,
} as const

export type ExitCodeName = keyof typeof ExitCode

/** An expected failure: printed as one line, without a stack unless --verbose. */
export class FaError extends Error {
  readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: {exit?: ExitCodeName; hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'FaError'
    this.exitCode = ExitCode[options.exit ?? 'usage']
    this.hint = options.hint
  }
}

/**
 * A failure no retry mends (refused credentials): a consumer that meets it in a batch stops the
 * run with it instead of fetching the batch again for ever.
 */
export class Unrecoverable extends FaError {}
