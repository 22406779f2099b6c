import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {loadConfig, type LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {colorFor} from '../output/color.js'
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
    // Scripts that asked for JSON get the error as JSON too, on stderr.
    if (this.argv.includes('--json')) return this.jsonError(error)
    // A mistyped flag: the closest one, not the whole help.
    const typed = (error as {flags?: unknown}).flags
    if (error instanceof Errors.CLIError && /^Nonexistent flags?:/.test(error.message) && Array.isArray(typed)) {
      const flags = {...this.ctor.baseFlags, ...this.ctor.flags}
      const c = this.stderrColor
      process.stderr.write(
        `${c.red('Error:')} ${unknownFlags(typed as string[], flags)} ${c.dim(`(${this.config.bin} ${this.id} --help lists every flag)`)}\n`,
      )
      this.exit(2)
    }
    // oclif's own errors (bad flags) already print well.
    if (error instanceof Errors.CLIError && !(error instanceof FaError)) return super.catch(error)
    const c = this.stderrColor
    const hint = error instanceof FaError && error.hint ? c.dim(` (${error.hint})`) : ''
    const message = error instanceof FaError ? error.message : `unexpected error: ${error.message}`
    process.stderr.write(`${c.red('Error:')} ${message}${hint}\n`)
    if (this.verbose || process.argv.includes('--verbose')) process.stderr.write(`${error.stack}\n`)
    else if (!(error instanceof FaError)) process.stderr.write(c.dim('run again with --verbose for the stack trace\n'))
    this.exit(error instanceof FaError ? error.exitCode : 1)
  }

  /** `{"error": {"message", "hint", "exit"}}` on stderr, one line. */
  private jsonError(error: Error & {oclif?: {exit?: number}}): never {
    const fa = error instanceof FaError
    const exit = fa ? error.exitCode : error instanceof Errors.CLIError ? (error.oclif?.exit ?? 2) : 1
    const message = fa || error instanceof Errors.CLIError ? error.message : `unexpected error: ${error.message}`
    const hint = fa ? (error.hint ?? null) : null
    process.stderr.write(JSON.stringify({error: {message, hint, exit}}) + '\n')
    this.exit(exit)
  }
}
