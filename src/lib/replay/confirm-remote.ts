import type {Config} from '../config/schema.js'
import {canPrompt} from '../cli/prompt.js'
import {FaError} from '../errors.js'
import {plural} from '../output/plural.js'
import type {ReplayPlan} from './produce.js'

/** Producing to a cluster that is not on localhost: asks on a TTY, else needs --yes. */
export async function confirmRemote(plan: ReplayPlan, config: Config, yes: boolean): Promise<void> {
  if (yes) return
  const brokers = config.kafka.brokers.join(',')
  const targets = [...new Set([...plan.topics.values()].map((t) => t.target))]
  if (!canPrompt()) {
    throw new FaError(
      `${brokers} is not on localhost: producing ${plural(plan.records, 'record')} there needs --yes when ` +
        `there is no terminal to confirm on`,
      {
        hint: 'add --yes to confirm without a prompt',
      },
    )
  }
  const {confirm} = await import('@inquirer/prompts')
  let ok: boolean
  try {
    ok = await confirm(
      {
        message:
          `Produce ${plural(plan.records, 'record')} to ${plural(targets.length, 'topic')} ` +
          `(${targets.join(', ')}) on ${brokers}?`,
        default: false,
      },
      {output: process.stderr},
    )
  } catch (error) {
    if ((error as Error).name === 'ExitPromptError') ok = false
    else throw error
  }
  if (!ok) throw new FaError('replay cancelled: nothing was produced')
}
