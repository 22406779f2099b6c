import type {Hook} from '@oclif/core'

import {canPrompt} from '../lib/cli/prompt.js'
import {closestName} from '../lib/cli/suggest.js'

/**
 * `fa sedn --dry-run`: the closest command. On a terminal, accepting runs it with the same
 * arguments; otherwise (cron, CI even on a terminal, a pipe) the suggestion is printed and the
 * exit code is 127.
 */
const hook: Hook<'command_not_found'> = async function ({id, argv = [], config}) {
  const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id)
  const shown = (commandId: string) => commandId.replaceAll(':', ' ')
  // The words before the first flag arrive joined (`replya:fixtures/x.jsonl`): the longest leading
  // words that are close to a command are the command, the others its arguments.
  const words = id.split(':')
  let suggestion: string | undefined
  let rest = argv
  let typed = shown(id)
  for (let n = words.length; n > 0 && !suggestion; n--) {
    suggestion = closestName(words.slice(0, n).join(':'), ids)
    if (suggestion) {
      rest = [...words.slice(n), ...argv]
      typed = words.slice(0, n).join(' ')
    }
  }
  // With --json, a script is reading: the error as JSON, as every command gives it.
  const fail = (message: string, hint: string | null) => {
    process.stderr.write(
      argv.includes('--json')
        ? JSON.stringify({error: {message, hint, exit: 127}}) + '\n'
        : `Error: ${message}${hint ? ` (${hint})` : ''}\n`,
    )
    return this.exit(127)
  }
  if (!suggestion) return fail(`${typed} is not a fa command`, '`fa --help` lists them')
  const command = ['fa', shown(suggestion), ...rest].join(' ')
  if (canPrompt()) {
    const {confirm} = await import('@inquirer/prompts')
    const yes = await confirm(
      {message: `${typed} is not a fa command. Run \`${command}\`?`, default: true},
      {output: process.stderr},
    ).catch(() => false)
    if (yes) return config.runCommand(suggestion, rest)
    return this.exit(127)
  }
  return fail(`${typed} is not a fa command: did you mean \`${command}\`?`, null)
}

export default hook
