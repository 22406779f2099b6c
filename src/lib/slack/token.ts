import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'

export interface SlackToken {
  token: string
  /** Where it came from, for messages: the variable's name or the file's path, never the value. */
  source: string
}

/**
 * The bot token from the environment variable the config names (SLACK_BOT_TOKEN by default),
 * else from `slack.tokenFile` (relative paths against `dir`, the config file's directory).
 */
export async function readSlackToken(
  settings: Pick<Config['slack'], 'tokenEnv' | 'tokenFile'>,
  {env = process.env, dir = process.cwd()}: {env?: NodeJS.ProcessEnv; dir?: string} = {},
): Promise<SlackToken> {
  const fromEnv = env[settings.tokenEnv]?.trim()
  if (fromEnv) return {token: fromEnv, source: settings.tokenEnv}
  if (!settings.tokenFile) {
    throw new FaError(`no Slack bot token: ${settings.tokenEnv} is not set`, {
      exit: 'slack',
      hint: `export ${settings.tokenEnv}=xoxb-… or set slack.tokenFile in the config`,
    })
  }
  const file = path.resolve(dir, settings.tokenFile)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FaError(
      `cannot read the Slack token file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      {
        exit: 'slack',
        hint: `set ${settings.tokenEnv} or fix slack.tokenFile`,
      },
    )
  }
  const token = text.trim()
  if (!token) throw new FaError(`the Slack token file ${file} is empty`, {exit: 'slack'})
  return {token, source: file}
}

/** Replaces the token wherever it appears, for any text that may reach a log, an error or a record. */
export function redactToken(text: string, token: string | undefined): string {
  return token ? text.replaceAll(token, '[redacted token]') : text
}
