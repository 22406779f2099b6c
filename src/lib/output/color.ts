import {Chalk, type ChalkInstance} from 'chalk'

/** Colour only on a TTY, and never with NO_COLOR set (https://no-color.org). */
export function colorFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const enabled = Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
  return new Chalk({level: enabled ? 1 : 0})
}
