#!/usr/bin/env node
// A real Schema Registry for tests and development: Apicurio Registry (a Quarkus fast-jar from
// Maven Central, in-memory storage) serving the Confluent-compatible API at /apis/ccompat/v7.
// It needs Java 21+, found under /usr/lib/jvm (or JAVA_HOME), never hard-coded.
// CLI: node scripts/registry.mjs up|down|status|fetch   (state dir: $FA_REGISTRY_DIR or .registry/)
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {freePort, isAlive, readText, sleep, startDetached, stopDetached, tail} from './daemon.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ARTIFACT = 'io.apicurio:apicurio-registry-app:3.3.3:tar.gz:all'
// The unpacked app is a cache shared by every state dir (tests use their own dir, same app).
const CACHE = path.resolve(process.env.FA_REGISTRY_CACHE ?? path.join(ROOT, '.registry', 'app'))
const READY_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 20_000
export const API_PATH = '/apis/ccompat/v7'

export const defaultDir = () => path.resolve(process.env.FA_REGISTRY_DIR ?? path.join(ROOT, '.registry'))

const log = (msg) => process.stderr.write(`[registry] ${msg}\n`)

/** Major version of the JDK at `home` (from its `release` file), or 0. */
function jdkMajor(home) {
  const version = /^JAVA_VERSION="?(\d+)/m.exec(readText(path.join(home, 'release')) ?? '')?.[1]
  return version ? Number(version) : 0
}

/** A `java` of version 21 or newer: JAVA_HOME if new enough, else the newest JDK under /usr/lib/jvm. */
export function findJava21() {
  const candidates = []
  if (process.env.JAVA_HOME) candidates.push(process.env.JAVA_HOME)
  const jvm = '/usr/lib/jvm'
  if (fs.existsSync(jvm)) {
    const homes = fs.readdirSync(jvm).map((d) => path.join(jvm, d))
    candidates.push(...homes.sort((a, b) => jdkMajor(b) - jdkMajor(a)))
  }
  for (const home of candidates) {
    const java = path.join(home, 'bin', 'java')
    if (jdkMajor(home) >= 21 && fs.existsSync(java)) return java
  }
  throw new Error('Apicurio Registry needs Java 21 or newer: none found in JAVA_HOME or /usr/lib/jvm')
}

/** Fetch and unpack the registry into CACHE once; returns the directory holding quarkus-run.jar. */
export function ensureApp() {
  const marker = path.join(CACHE, '.artifact')
  if (readText(marker) === ARTIFACT) return CACHE
  log(`fetching ${ARTIFACT} into ${CACHE}`)
  // Download and unpack in a temp dir, then rename: an interrupted fetch never leaves half an app.
  const tmp = `${CACHE}.tmp-${process.pid}`
  fs.rmSync(tmp, {recursive: true, force: true})
  fs.mkdirSync(tmp, {recursive: true})
  try {
    execFileSync('mvn', ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${tmp}`], {
      cwd: tmp,
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
    const archive = fs.readdirSync(tmp).find((f) => f.endsWith('.tar.gz'))
    if (!archive) throw new Error(`mvn left no .tar.gz in ${tmp}`)
    execFileSync('tar', ['xzf', archive], {cwd: tmp})
    fs.rmSync(path.join(tmp, archive))
  } catch (err) {
    fs.rmSync(tmp, {recursive: true, force: true})
    throw new Error(
      `fetching the Schema Registry (${ARTIFACT}) with mvn failed:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`,
      {cause: err},
    )
  }
  fs.writeFileSync(path.join(tmp, '.artifact'), `${ARTIFACT}\n`)
  fs.rmSync(CACHE, {recursive: true, force: true})
  try {
    fs.renameSync(tmp, CACHE)
  } catch (err) {
    fs.rmSync(tmp, {recursive: true, force: true})
    if (readText(marker) !== ARTIFACT) throw err // else another process won the race with the same app
  }
  return CACHE
}

const AVRO_POM = path.join(ROOT, 'scripts', 'avro-pom.xml')
const AVRO_DECODER = path.join(ROOT, 'test', 'support', 'java', 'AvroDecode.java')
const AVRO_JAVA = path.resolve(process.env.FA_AVRO_JAVA ?? path.join(ROOT, '.registry', 'avro-java'))

/**
 * Apache Avro's Java library (the interop tests' outside decoder) fetched with mvn, and
 * test/support/java/AvroDecode.java compiled against it, once per pom and source; returns the
 * classpath to run `AvroDecode` with.
 */
export function ensureAvroJava() {
  const hash = createHash('sha256')
    .update(fs.readFileSync(AVRO_POM))
    .update(fs.readFileSync(AVRO_DECODER))
    .digest('hex')
  const marker = path.join(AVRO_JAVA, '.sha256')
  const classpath = `${path.join(AVRO_JAVA, 'classes')}:${path.join(AVRO_JAVA, 'libs', '*')}`
  if (readText(marker) === hash) return classpath
  log(`fetching Apache Avro for Java into ${AVRO_JAVA}`)
  const tmp = `${AVRO_JAVA}.tmp-${process.pid}`
  fs.rmSync(tmp, {recursive: true, force: true})
  try {
    const run = (cmd, args) => execFileSync(cmd, args, {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'})
    run('mvn', [
      '-q',
      '-B',
      '-f',
      AVRO_POM,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${tmp}/libs`,
      '-DincludeScope=runtime',
    ])
    run('javac', ['-d', `${tmp}/classes`, '-cp', `${tmp}/libs/*`, AVRO_DECODER])
  } catch (err) {
    fs.rmSync(tmp, {recursive: true, force: true})
    throw new Error(
      `fetching or compiling the Avro Java decoder failed:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`,
      {cause: err},
    )
  }
  fs.writeFileSync(path.join(tmp, '.sha256'), `${hash}\n`)
  fs.rmSync(AVRO_JAVA, {recursive: true, force: true})
  try {
    fs.renameSync(tmp, AVRO_JAVA)
  } catch (err) {
    fs.rmSync(tmp, {recursive: true, force: true})
    if (readText(marker) !== hash) throw err
  }
  return classpath
}

const files = (dir) => ({
  pid: path.join(dir, 'registry.pid'),
  log: path.join(dir, 'registry.log'),
  url: path.join(dir, 'url'),
})

function runningPid(dir) {
  const pid = Number(readText(files(dir).pid))
  if (!pid || !isAlive(pid)) return undefined
  const cmdline = readText(`/proc/${pid}/cmdline`)
  if (cmdline !== undefined && !cmdline.includes('quarkus-run.jar')) return undefined
  return pid
}

async function waitReady(url, {pid, logFile, timeoutMs = READY_TIMEOUT_MS}) {
  const deadline = Date.now() + timeoutMs
  let last
  while (Date.now() < deadline) {
    if (pid !== undefined && !isAlive(pid)) throw new Error(`Schema Registry exited during startup\n${tail(logFile)}`)
    try {
      const res = await fetch(`${url}/subjects`, {signal: AbortSignal.timeout(2_000)})
      if (res.status === 200) return
      last = `HTTP ${res.status}`
    } catch (err) {
      last = err.message
    }
    await sleep(250)
  }
  throw new Error(`Schema Registry at ${url} not ready after ${timeoutMs} ms (last: ${last})\n${tail(logFile)}`)
}

/**
 * Start the registry of state dir `dir` (default .registry/), or reuse the one running there.
 * Returns {url, pid, stop()}; `url` is the Confluent-compatible API's base.
 */
export async function startRegistry({dir = defaultDir(), port, timeoutMs} = {}) {
  dir = path.resolve(dir)
  const f = files(dir)
  const stop = () => stopRegistry(dir)
  const existing = runningPid(dir)
  if (existing && readText(f.url)) {
    const url = readText(f.url)
    await waitReady(url, {pid: existing, logFile: f.log, timeoutMs})
    return {url, pid: existing, stop}
  }
  if (existing) await stopRegistry(dir)

  const app = ensureApp()
  const java = findJava21()
  fs.mkdirSync(dir, {recursive: true})
  // A free port can be taken by another process before the JVM binds it (a shared machine):
  // then start again on other ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch({dir, app, java, port, timeoutMs, stop})
    } catch (err) {
      if (attempt >= 3 || port !== undefined || !err.message.includes('Address already in use')) throw err
      log(`a port was taken before the registry bound it; starting again (attempt ${attempt + 1})`)
    }
  }
}

async function launch({dir, app, java, port, timeoutMs, stop}) {
  const f = files(dir)
  const httpPort = port ?? (await freePort())
  let managementPort = await freePort()
  while (managementPort === httpPort) managementPort = await freePort()
  const url = `http://127.0.0.1:${httpPort}${API_PATH}`
  fs.rmSync(f.log, {force: true}) // the tail of a failed start must be this start's
  const pid = await startDetached(
    java,
    [
      '-Xms64m',
      '-Xmx384m',
      '-XX:+UseSerialGC', // fewer GC threads: it shares 2 cores with the broker and the tests
      '-XX:TieredStopAtLevel=1', // starts faster; a test registry serves little traffic
      // Loopback only, both interfaces (the management one listens on 0.0.0.0:9000 otherwise).
      '-Dquarkus.http.host=127.0.0.1',
      `-Dquarkus.http.port=${httpPort}`,
      '-Dquarkus.management.host=127.0.0.1',
      `-Dquarkus.management.port=${managementPort}`,
      '-jar',
      path.join(app, 'quarkus-run.jar'),
    ],
    {
      cwd: dir,
      logFile: f.log,
      pidFile: f.pid,
      log,
      ready: (pid) => waitReady(url, {pid, logFile: f.log, timeoutMs}),
      stop: () => stopRegistry(dir),
    },
  )
  fs.writeFileSync(f.url, `${url}\n`)
  return {url, pid, stop}
}

/** Stop the registry of state dir `dir`: SIGTERM its process group, SIGKILL after a timeout. */
export async function stopRegistry(dir = defaultDir(), {timeoutMs = STOP_TIMEOUT_MS} = {}) {
  dir = path.resolve(dir)
  const f = files(dir)
  return stopDetached(runningPid(dir), [f.pid, f.url], timeoutMs, log)
}

async function main(cmd) {
  const dir = defaultDir()
  switch (cmd) {
    case 'fetch':
      console.log(ensureApp())
      console.log(findJava21())
      console.log(ensureAvroJava())
      return 0
    case 'up': {
      const t0 = Date.now()
      const {url} = await startRegistry({dir})
      log(`registry ready in ${Date.now() - t0} ms (state in ${dir})`)
      console.log(url) // stdout holds only the URL: SCHEMA_REGISTRY_URL=$(node scripts/registry.mjs up)
      return 0
    }
    case 'down':
      log((await stopRegistry(dir)) ? 'registry stopped' : 'no registry running')
      return 0
    case 'status': {
      const pid = runningPid(dir)
      console.log(pid ? `running ${readText(files(dir).url) ?? '(starting)'} pid ${pid}` : 'stopped')
      return pid ? 0 : 3
    }
    default:
      console.error(
        'usage: node scripts/registry.mjs up|down|status|fetch   (state dir: $FA_REGISTRY_DIR or .registry/)',
      )
      return 2
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv[2]).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err)
      process.exit(1)
    },
  )
}
