import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {loadConfig, type LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {colorFor} from '../output/color.js'
import {printable} from '../output/printable.js'
import {unknownFlags} from './suggest.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<
  (typeof BaseCommand)['baseFlags'] & T['flags']
>

/**
 * What every fa command shares: `--config`, `--verbose`, and errors printed as one line
 * (what, where, what to do) with a distinct exit code; the stack only with --verbose or DEBUG.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    config: Flags.string({
      char: 'c',
      description: 'config file (default: fa.config.yaml in the working directory, else built-in defaults)',
      env: 'FA_CONFIG',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({description: 'show debug logs and stack traces', helpGroup: 'GLOBAL'}),
  }

  protected verbose = Boolean(process.env.DEBUG)

  protected async loadConfig(file: string | undefined): Promise<LoadedConfig> {
    return loadConfig(file)
  }

  protected get stderrColor() {
    return colorFor(process.stderr)
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof Errors.ExitError) return super.catch(error)
    // A mistyped flag: the closest one, not the whole help.
    const typed = (error as {flags?: unknown}).flags
    const mistyped =
      error instanceof Errors.CLIError && /^Nonexistent flags?:/.test(error.message) && Array.isArray(typed)
        ? unknownFlags(typed as string[], {...this.ctor.baseFlags, ...this.ctor.flags})
        : undefined
    // Scripts that asked for JSON get the error as JSON too, on stderr.
    if (this.argv.includes('--json')) return this.jsonError(error, mistyped)
    if (mistyped) {
      const c = this.stderrColor
      process.stderr.write(`${c.red('Error:')} ${mistyped} ${c.dim(`(${this.helpHint})`)}\n`)
      this.exit(2)
    }
    const c = this.stderrColor
    // oclif's usage errors (a missing or conflicting flag) in one line too, without their framing.
    if (error instanceof Errors.CLIError && !(error instanceof FaError)) {
      const exit = (error as {oclif?: {exit?: number}}).oclif?.exit ?? 2
      process.stderr.write(`${c.red('Error:')} ${printable(usageMessage(error.message))} ${c.dim(`(${this.helpHint})`)}
`)
      this.exit(exit)
    }
    // Messages quote fixture text (a JSON.parse snippet, an unknown key or topic): its control characters shown escaped.
    const hint = error instanceof FaError && error.hint ? c.dim(` (${printable(error.hint)})`) : ''
    const message = printable(error instanceof FaError ? error.message : `unexpected error: ${error.message}`)
    process.stderr.write(`${c.red('Error:')} ${message}${hint}\n`)
    if (this.verbose || process.argv.includes('--verbose')) process.stderr.write(`${error.stack}\n`)
    else if (!(error instanceof FaError)) process.stderr.write(c.dim('run again with --verbose for the stack trace\n'))
    this.exit(error instanceof FaError ? error.exitCode : 1)
  }

  private get helpHint(): string {
    return `${this.config.bin} ${this.id} --help lists every flag`
  }

  /**
   * `{"error": {"message", "hint", "exit"}}` on stderr, one line. oclif's usage errors lose their
   * framing ("The following error occurred:", "See more help with --help"): the message is the
   * error itself, the help goes in the hint.
   */
  private jsonError(error: Error & {oclif?: {exit?: number}}, mistyped: string | undefined): never {
    const fa = error instanceof FaError
    const usage = !fa && error instanceof Errors.CLIError
    const exit = fa ? error.exitCode : usage ? (error.oclif?.exit ?? 2) : 1
    const message = fa
      ? error.message
      : usage
        ? (mistyped ?? usageMessage(error.message))
        : `unexpected error: ${error.message}`
    const hint = fa ? (error.hint ?? null) : usage ? this.helpHint : null
    process.stderr.write(JSON.stringify({error: {message, hint, exit}}) + '\n')
    this.exit(exit)
  }
}

/**
 * An oclif usage error's own lines in one: without its framing and its notes on flags that take
 * several values (the hint points at --help).
 */
function usageMessage(message: string): string {
  const framing = /^(The following errors? occurred:|See more help with|Note: |Alternatively, )/
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !framing.test(line))
  return lines.reduce((text, line) => (text ? `${text}${text.endsWith(':') ? ' ' : '; '}${line}` : line), '')
}
