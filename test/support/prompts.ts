// A Prompter that plays a script, for `fa init`'s questions without a terminal: each question
// must match the next step's pattern; the answer is checked as @inquirer/prompts would.
import type {Prompter} from '../../src/lib/init/prompt.js'

/** Pressing Enter: the question's default (a select's first choice). */
export const ENTER = Symbol('enter')
/** Ctrl-C: what @inquirer/prompts throws then. */
export const CTRL_C = Symbol('ctrl-c')

/**
 * What is typed at a question: a value, ENTER or CTRL_C; for an input, a list types each entry
 * in turn: all but the last must be refused by the question's validate, the last accepted.
 */
export type Answer = string | boolean | typeof ENTER | typeof CTRL_C | string[]
export type Step = [RegExp, Answer]

export interface Script extends Prompter {
  /** Every question asked, in order; a select's with its choices, one a line. */
  readonly asked: string[]
  /** What validate said of each refused entry. */
  readonly refused: string[]
  /** The steps not reached. */
  readonly left: Step[]
}

export function script(steps: Step[]): Script {
  const left = [...steps]
  const asked: string[] = []
  const refused: string[] = []
  const next = (message: string, choices: string[] = []): Answer => {
    asked.push([message, ...choices].join('\n  '))
    const step = left.shift()
    if (!step) throw new Error(`unexpected question: ${message}`)
    if (!step[0].test(message)) throw new Error(`asked "${message}", the script expects ${step[0]}`)
    if (step[1] === CTRL_C) throw Object.assign(new Error('User force closed the prompt'), {name: 'ExitPromptError'})
    return step[1]
  }
  const wrong = (message: string, answer: unknown) => new Error(`"${message}": ${String(answer)} is not an answer`)
  return {
    asked,
    refused,
    left,
    async select({message, choices}) {
      const answer = next(
        message,
        choices.map((c) => c.name),
      )
      const choice = answer === ENTER ? choices[0] : choices.find((c) => c.value === answer)
      if (!choice) throw wrong(message, answer)
      return choice.value
    },
    async confirm({message, default: fallback = true}) {
      const answer = next(message)
      if (answer === ENTER) return fallback
      if (typeof answer !== 'boolean') throw wrong(message, answer)
      return answer
    },
    async input({message, default: fallback = '', validate}) {
      const answer = next(message)
      const typed = answer === ENTER ? [fallback] : typeof answer === 'string' ? [answer] : answer
      if (!Array.isArray(typed) || typed.length === 0) throw wrong(message, answer)
      for (const [i, value] of typed.entries()) {
        const verdict = validate ? validate(value) : true
        const last = i === typed.length - 1
        if (verdict === true && last) return value
        if (verdict === true) throw new Error(`"${message}": ${value} was accepted, the script expects a refusal`)
        if (last) throw new Error(`"${message}": ${value} was refused: ${verdict}`)
        refused.push(String(verdict))
      }
      throw wrong(message, answer)
    },
  }
}
