// What the test services (scripts/kafka.mjs, scripts/registry.mjs) share: a JVM started detached
// as its own process group, its pid and log in a state dir, free loopback ports, a stop that
// SIGTERMs the group and SIGKILLs it after a timeout.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export const readText = (file) => {
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    return undefined
  }
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

export function tail(file, lines = 40) {
  const text = readText(file)
  return text ? `--- ${file} (last ${lines} lines) ---\n${text.split('\n').slice(-lines).join('\n')}` : `(no ${file})`
}

/** SIGTERM the process group led by `pid`, SIGKILL it if it is still alive after `timeoutMs`. */
export async function stopGroup(pid, timeoutMs, log) {
  const signal = (sig) => {
    try {
      process.kill(-pid, sig) // the whole group: the JVM was started detached as its leader
    } catch {
      /* already gone */
    }
  }
  signal('SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (isAlive(pid) && Date.now() < deadline) await sleep(100)
  if (isAlive(pid)) {
    log(`process ${pid} ignored SIGTERM for ${timeoutMs} ms, killing`)
    signal('SIGKILL')
    while (isAlive(pid)) await sleep(50)
  }
}

/**
 * Starts `command` detached (its own process group, outliving us), output appended to `logFile`,
 * its pid in `pidFile`; waits for `ready(pid)` and calls `stop()` when that fails. Resolves to the pid.
 */
export async function startDetached(command, args, {cwd, logFile, pidFile, log, ready, stop}) {
  const out = fs.openSync(logFile, 'a')
  const child = spawn(command, args, {cwd, detached: true, stdio: ['ignore', out, out]})
  fs.closeSync(out)
  child.on('error', (err) => log(`cannot run ${command}: ${err.message}`)) // ready() then fails with the log
  child.unref()
  fs.writeFileSync(pidFile, `${child.pid}\n`)
  try {
    await ready(child.pid)
  } catch (err) {
    await stop()
    throw err
  }
  return child.pid
}

/** Stops the process group of `pid` if there is one, then removes `files`; whether one was running. */
export async function stopDetached(pid, files, timeoutMs, log) {
  if (pid) await stopGroup(pid, timeoutMs, log)
  for (const file of files) fs.rmSync(file, {force: true})
  return Boolean(pid)
}
