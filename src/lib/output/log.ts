import {writeAboveBar} from './bar-lines.js'
import {colorFor} from './color.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>

export interface Logger {
  readonly level: LogLevel
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
  /** A logger that adds `fields` to every line (e.g. `{component: 'tables'}`). */
  child(fields: LogFields): Logger
  isEnabled(level: LogLevel): boolean
}

/** `json`: one JSON object per line; `human`: `12:00:00.000 INFO message key=value`. */
export type LogFormat = 'json' | 'human'

export interface LoggerOptions {
  format?: LogFormat
  /** Lowest level written; `info` by default, `debug` with --verbose. */
  level?: LogLevel
  stream?: NodeJS.WritableStream & {isTTY?: boolean}
  env?: NodeJS.ProcessEnv
}

const RANK: Record<LogLevel, number> = {debug: 10, info: 20, warn: 30, error: 40}

/**
 * A small structured logger for long-running commands. Lines go to stderr, so stdout keeps
 * only the command's output (a summary, `--json`). Format: JSON Lines when stdout is not a
 * terminal (containers, cron, log shippers), readable lines on a terminal; `FA_LOG_FORMAT`
 * (`json`/`human`) and `FA_LOG_LEVEL` override. Quiet by default: a few lines per run.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const env = options.env ?? process.env
  const stream = options.stream ?? process.stderr
  const format = options.format ?? logFormat(env)
  const envLevel = env.FA_LOG_LEVEL && env.FA_LOG_LEVEL in RANK ? (env.FA_LOG_LEVEL as LogLevel) : undefined
  const level = options.level ?? envLevel ?? 'info'
  const c = colorFor(stream as NodeJS.WriteStream, env)
  const paint: Record<LogLevel, (s: string) => string> = {debug: c.dim, info: c.cyan, warn: c.yellow, error: c.red}

  const write = (lvl: LogLevel, message: string, fields: LogFields): void => {
    if (RANK[lvl] < RANK[level]) return
    const clean: LogFields = {}
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) clean[key] = value instanceof Error ? errorFields(value, level === 'debug') : value
    }
    let line: string
    if (format === 'json') {
      line = safeJson({time: new Date().toISOString(), level: lvl, msg: message, ...clean})
    } else {
      const time = new Date().toISOString().slice(11, 23)
      const rest = Object.entries(clean)
        .map(([k, v]) => `${k}=${humanValue(v)}`)
        .join(' ')
      line = `${c.dim(time)} ${paint[lvl](lvl.toUpperCase().padEnd(5))} ${message}${rest ? ' ' + c.dim(rest) : ''}`
    }
    if (!writeAboveBar(stream, line + '\n')) stream.write(line + '\n')
  }

  const make = (base: LogFields): Logger => ({
    level,
    debug: (m, f) => write('debug', m, {...base, ...f}),
    info: (m, f) => write('info', m, {...base, ...f}),
    warn: (m, f) => write('warn', m, {...base, ...f}),
    error: (m, f) => write('error', m, {...base, ...f}),
    child: (fields) => make({...base, ...fields}),
    isEnabled: (lvl) => RANK[lvl] >= RANK[level],
  })
  return make({})
}

/** The format of log lines: FA_LOG_FORMAT, else readable on a terminal and JSON Lines elsewhere. */
export function logFormat(env: NodeJS.ProcessEnv = process.env): LogFormat {
  if (env.FA_LOG_FORMAT === 'json' || env.FA_LOG_FORMAT === 'human') return env.FA_LOG_FORMAT
  return process.stdout.isTTY ? 'human' : 'json'
}

/** A logger that drops everything (library callers that pass none). */
export const silentLogger: Logger = createLogger({
  level: 'error',
  stream: {write: () => true} as unknown as NodeJS.WritableStream,
  format: 'json',
})

function errorFields(error: Error, withStack: boolean): LogFields {
  const out: LogFields = {name: error.name, message: error.message}
  const type = (error as {type?: unknown}).type
  if (typeof type === 'string') out.type = type
  if (withStack && error.stack) out.stack = error.stack
  return out
}

function humanValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) || value === '' ? JSON.stringify(value) : value
  if (value && typeof value === 'object' && 'message' in value && 'name' in value) {
    const stack = (value as {stack?: string}).stack
    return JSON.stringify(String((value as {message: unknown}).message)) + (stack ? `\n${stack}` : '')
  }
  return safeJson(value)
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v))
  } catch {
    return '"[unserializable]"'
  }
}
