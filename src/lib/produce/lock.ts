import {createHash, randomUUID} from 'node:crypto'
import {readFileSync, unlinkSync} from 'node:fs'
import {link, mkdir, readFile, stat, unlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'

/** What a lock file holds: who runs, since when. */
export interface LockHolder {
  pid: number
  host: string
  /** The process' start time in clock ticks since boot (Linux /proc), to tell a reused pid apart. */
  processStart?: string
  startedAt: string
  /** Unique per acquisition: only the holder removes the file. */
  token: string
  what: string
}

/**
 * The directory of fa's lock files: FA_LOCK_DIR, else `$XDG_CACHE_HOME/fa/locks`, else
 * `~/.cache/fa/locks`; the OS temp dir when there is no home (some cron setups).
 */
export function lockDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FA_LOCK_DIR) return path.resolve(env.FA_LOCK_DIR)
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'fa', 'locks')
  let home = ''
  try {
    home = os.homedir()
  } catch {
    // no home directory for this user
  }
  if (home) return path.join(home, '.cache', 'fa', 'locks')
  return path.join(os.tmpdir(), `fa-locks-${os.userInfo().uid}`)
}

/**
 * The lock file of `fa produce NAME`: one per producer and per checkpoint it advances (the
 * cluster and checkpoint topic), so a staging and a production run of the same producer on one
 * host do not block each other.
 */
export function produceLockFile(
  producer: string,
  config: Pick<Config, 'kafka' | 'topics'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const scope = JSON.stringify([[...config.kafka.brokers].sort(), config.topics.checkpoints])
  const digest = createHash('sha256').update(scope).digest('hex').slice(0, 12)
  return path.join(lockDir(env), `produce-${producer}-${digest}.lock`)
}

/** A held lock; `release()` removes the file if it is still ours. */
export class RunLock {
  private released = false
  private readonly onExit = () => this.releaseSync()

  constructor(
    readonly file: string,
    readonly holder: LockHolder,
  ) {
    // Last resort for exits that skip `finally` (process.exit in a handler): never leave our lock behind.
    process.once('exit', this.onExit)
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    process.off('exit', this.onExit)
    const current = await readHolder(this.file)
    if (current.holder?.token === this.holder.token) await unlink(this.file).catch(() => {})
  }

  private releaseSync(): void {
    if (this.released) return
    this.released = true
    try {
      const current = parseHolder(readFileSync(this.file, 'utf8'))
      if (current?.token === this.holder.token) unlinkSync(this.file)
    } catch {
      // gone already
    }
  }
}

/**
 * Takes the exclusive lock `file` for this process, or throws a FaError (exit 7, "locked")
 * naming the process that holds it. The file is created atomically with its content (written
 * aside, then hard-linked into place: link fails if the file exists). A lock whose process is
 * gone (same host, pid dead or reused) is stale and taken over; one from another host is never
 * judged stale, since its process cannot be checked from here.
 */
export async function acquireLock(file: string, what: string): Promise<RunLock> {
  const dir = path.dirname(file)
  try {
    await mkdir(dir, {recursive: true, mode: 0o700})
  } catch (error) {
    throw new FaError(
      `cannot create the lock directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        exit: 'locked',
        hint: 'set FA_LOCK_DIR to a writable directory',
      },
    )
  }
  const holder: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    processStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    token: randomUUID(),
    what,
  }
  const aside = `${file}.${holder.token}.tmp`
  await writeFile(aside, JSON.stringify(holder) + '\n', {mode: 0o600})
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(aside, file)
        return new RunLock(file, holder)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new FaError(
            `cannot create the lock file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
            {
              exit: 'locked',
              hint: 'set FA_LOCK_DIR to a writable directory',
            },
          )
        }
      }
      const current = await readHolder(file)
      if (current.missing) continue
      if (current.holder && isAlive(current.holder)) throw lockedError(what, file, current.holder)
      if (!current.holder && current.ageMs < 10_000) throw lockedError(what, file, undefined)
      await breakStale(file, current.raw)
    }
    throw lockedError(what, file, (await readHolder(file)).holder)
  } finally {
    await unlink(aside).catch(() => {})
  }
}

function lockedError(what: string, file: string, holder: LockHolder | undefined): FaError {
  const who = holder
    ? `pid ${holder.pid}${holder.host === os.hostname() ? '' : ` on ${holder.host}`}, started ${holder.startedAt} (${ago(holder.startedAt)})`
    : 'a process that is still writing its lock file'
  return new FaError(`${what} is already running (${who}); not starting a second run`, {
    exit: 'locked',
    hint: `wait for it to finish; a lock left by a process that is gone is taken over automatically (${file})`,
  })
}

/**
 * Removes a stale lock, unless someone else replaced it meanwhile: under a second lock
 * (`.break`), the file is re-read and removed only if it still holds what was judged stale.
 */
async function breakStale(file: string, staleRaw: string): Promise<void> {
  const breaker = `${file}.break`
  try {
    await writeFile(breaker, String(process.pid), {flag: 'wx', mode: 0o600})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    // Another process is breaking it; a breaker left by a crash is old.
    const age = await stat(breaker).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    )
    if (age > 10_000) await unlink(breaker).catch(() => {})
    else await new Promise((resolve) => setTimeout(resolve, 50))
    return
  }
  try {
    const current = await readHolder(file)
    if (!current.missing && current.raw === staleRaw) await unlink(file).catch(() => {})
  } finally {
    await unlink(breaker).catch(() => {})
  }
}

async function readHolder(file: string): Promise<{missing: boolean; raw: string; holder?: LockHolder; ageMs: number}> {
  try {
    const [raw, info] = await Promise.all([readFile(file, 'utf8'), stat(file)])
    return {missing: false, raw, holder: parseHolder(raw), ageMs: Date.now() - info.mtimeMs}
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {missing: true, raw: '', ageMs: 0}
    throw error
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(raw) as LockHolder
    return Number.isInteger(holder.pid) && typeof holder.host === 'string' && typeof holder.token === 'string'
      ? holder
      : undefined
  } catch {
    return undefined
  }
}

/** True unless the holder is on this host and its process is gone (or its pid now names another process). */
function isAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    // EPERM: it exists, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
  const start = processStart(holder.pid)
  return !(holder.processStart && start && start !== holder.processStart)
}

/** Field 22 of /proc/PID/stat (start time in ticks since boot); undefined off Linux. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  if (Number.isNaN(seconds)) return 'unknown age'
  if (seconds < 120) return `${seconds} s ago`
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`
  return `${Math.round(seconds / 3600)} h ago`
}
