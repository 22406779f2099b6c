import {FaError} from '../errors.js'

/**
 * The questions `fa init` asks, as the three calls of @inquirer/prompts it uses: the command
 * passes that module itself, tests a script of answers.
 */
export interface Prompter {
  select<T>(question: {message: string; choices: Array<{name: string; value: T}>}): Promise<T>
  confirm(question: {message: string; default?: boolean}): Promise<boolean>
  input(question: {message: string; default?: string; validate?: (value: string) => boolean | string}): Promise<string>
}

/** Ctrl-C in a prompt: a one-line "cancelled" instead of a stack trace. */
export function cancelled(error: unknown, message: string): unknown {
  return (error as Error)?.name === 'ExitPromptError' ? new FaError(message) : error
}
