import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import path from 'node:path'

import {FaError} from '../errors.js'

/**
 * A file a flag names for fa to write (`--html`, `--explain-file`, `--expect` with `--update`),
 * checked before the run: a mistyped directory fails at once, as a usage error, not after the
 * whole replay as an unexpected one (exit 1, which CI reads as "differences"). The file itself
 * is left alone until it is written, so a run that fails keeps the old golden file.
 */
export async function checkWritable(file: string, flag: string): Promise<void> {
  const dir = path.dirname(path.resolve(file))
  const problem = await whyNotWritable(file, dir)
  if (problem) throw cannotWrite(file, flag, problem)
}

async function whyNotWritable(file: string, dir: string): Promise<string | undefined> {
  const info = await stat(dir).catch(() => undefined)
  if (!info) return `no such directory: ${dir}`
  if (!info.isDirectory()) return `${dir} is not a directory`
  if ((await stat(file).catch(() => undefined))?.isDirectory()) return 'it is a directory'
  return access(dir, constants.W_OK).then(
    () => undefined,
    () => `${dir} is not writable`,
  )
}

/** A write of a flag's file that failed anyway, named as the flag and file. */
export function cannotWrite(file: string, flag: string, problem: unknown): FaError {
  const reason = problem instanceof Error ? ((problem as NodeJS.ErrnoException).code ?? problem.message) : problem
  return new FaError(`${flag} ${file}: cannot write it (${String(reason)})`, {exit: 'usage'})
}
