#!/usr/bin/env node
// A real single-node Apache Kafka (KRaft) broker for tests and development,
// run from Maven Central jars (no Docker here). CLI: node scripts/kafka.mjs up|down|status|jars
import {execFileSync} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import kafkajs from 'kafkajs'

import {freePort, isAlive, readText, sleep, startDetached, stopDetached, tail} from './daemon.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const POM = path.join(ROOT, 'scripts', 'kafka-pom.xml')
// Jars are a cache shared by every state dir (tests use their own dir, same jars).
const LIBS = path.resolve(process.env.FA_KAFKA_LIBS ?? path.join(ROOT, '.kafka', 'libs'))
const MARKER = '.pom-sha256'
// Config dumps are most of the startup log; unknown-config warnings still show.
const QUIET = ['-Dorg.slf4j.simpleLogger.log.org.apache.kafka.common.config.AbstractConfig=warn']
const READY_TIMEOUT_MS = 120_000
const STOP_TIMEOUT_MS = 20_000

export const defaultDir = () => path.resolve(process.env.FA_KAFKA_DIR ?? path.join(ROOT, '.kafka'))

const log = (msg) => process.stderr.write(`[kafka] ${msg}\n`)
const java = () => (process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java')

/** Fetch the broker jars into LIBS once per pom content; returns the libs dir. */
export function ensureJars() {
  const hash = createHash('sha256').update(fs.readFileSync(POM)).digest('hex')
  const marker = path.join(LIBS, MARKER)
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === hash) return LIBS
  log(`fetching broker jars into ${LIBS}`)
  // Download to a temp dir and rename, so an interrupted or concurrent fetch never leaves a half-filled LIBS.
  const tmp = `${LIBS}.tmp-${process.pid}`
  fs.rmSync(tmp, {recursive: true, force: true})
  try {
    // Output captured: mvn -q still prints colour resets; show it only when the fetch fails.
    execFileSync(
      'mvn',
      ['-q', '-B', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`, '-DincludeScope=runtime'],
      {stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'},
    )
  } catch (err) {
    fs.rmSync(tmp, {recursive: true, force: true})
    throw new Error(`fetching Kafka jars with mvn failed:\n${err.stdout ?? ''}${err.stderr ?? ''}${err.message}`, {
      cause: err,
    })
  }
  fs.writeFileSync(path.join(tmp, MARKER), `${hash}\n`)
  fs.rmSync(LIBS, {recursive: true, force: true})
  try {
    fs.renameSync(tmp, LIBS)
  } catch (err) {
    // Another process won the race with the same jars: use theirs.
    fs.rmSync(tmp, {recursive: true, force: true})
    if (!fs.existsSync(marker)) throw err
  }
  return LIBS
}

const files = (dir) => ({
  props: path.join(dir, 'server.properties'),
  pid: path.join(dir, 'broker.pid'),
  log: path.join(dir, 'broker.log'),
  bootstrap: path.join(dir, 'bootstrap'),
  data: path.join(dir, 'data'),
})

/** Pid of the broker started from `dir` if it is still alive (and really a Kafka JVM, not a reused pid). */
function runningPid(dir) {
  const pid = Number(readText(files(dir).pid))
  if (!pid) return undefined
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  const cmdline = readText(`/proc/${pid}/cmdline`)
  if (cmdline !== undefined && !cmdline.includes('kafka.Kafka')) return undefined
  return pid
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

/** Reuse the ports of an earlier run when free, so a restarted dev broker keeps its address. */
async function pickPorts(propsFile) {
  const old = readText(propsFile) ?? ''
  const port = Number(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/m.exec(old)?.[1])
  const cport = Number(/^controller\.quorum\.voters=1@127\.0\.0\.1:(\d+)/m.exec(old)?.[1])
  if (port && cport && (await portIsFree(port)) && (await portIsFree(cport))) return {port, cport}
  const p = await freePort()
  let c = await freePort()
  while (c === p) c = await freePort()
  return {port: p, cport: c}
}

function serverProperties({port, cport, data}) {
  return `# Written by scripts/kafka.mjs: single-node KRaft broker for tests/dev.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${cport}
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${data}

# One broker: every internal topic must live with replication factor 1.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Tests create their topics with the admin client.
auto.create.topics.enable=false
num.partitions=3

# Fast test broker: few internal partitions (created on first use), no rebalance delay,
# short session timeouts allowed, quick transaction housekeeping.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
share.coordinator.state.topic.num.partitions=3
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
group.consumer.min.session.timeout.ms=1000
group.consumer.min.heartbeat.interval.ms=500
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
transaction.remove.expired.transaction.cleanup.interval.ms=1000

# Small disk/memory footprint on a 2-core machine.
log.segment.bytes=16777216
# Fixtures carry fixed, old timestamps: time-based retention would delete them under the tests.
log.retention.ms=-1
log.cleaner.dedupe.buffer.size=16777216
num.network.threads=2
num.io.threads=2
background.threads=2
`
}

/** 16 random bytes as 22-char base64url, like Kafka's Uuid; never starting with '-', which
 * the tools would parse as an option (Kafka's own Uuid.randomUuid() skips those too). */
function newClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** Resolve once a kafkajs admin call answers; fail early with the log tail if the JVM exits. */
async function waitReady(bootstrap, {pid, logFile, timeoutMs = READY_TIMEOUT_MS}) {
  quietKafkajsWarnings()
  const kafka = new kafkajs.Kafka({
    clientId: 'fa-kafka-harness',
    brokers: [bootstrap],
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: {retries: 0},
  })
  const deadline = Date.now() + timeoutMs
  let lastErr
  while (Date.now() < deadline) {
    if (pid !== undefined && !isAlive(pid)) throw new Error(`Kafka broker exited during startup\n${tail(logFile)}`)
    const admin = kafka.admin()
    try {
      await admin.connect()
      const {brokers} = await admin.describeCluster()
      // Also wait for the group coordinator (this creates __consumer_offsets), so the first
      // consumer of a test doesn't meet "coordinator not available/loading" errors.
      if (brokers.length > 0) {
        await admin.describeGroups(['fa-kafka-harness-ready'])
        return
      }
    } catch (err) {
      lastErr = err
    } finally {
      await admin.disconnect().catch(() => {})
    }
    await sleep(250)
  }
  throw new Error(
    `Kafka broker at ${bootstrap} not ready after ${timeoutMs} ms (last error: ${lastErr?.message})\n${tail(logFile)}`,
  )
}

/**
 * Start the broker for state dir `dir` (default .kafka/), or reuse the one already running there.
 * Returns {bootstrap, pid, stop()}.
 */
export async function startBroker({dir = defaultDir(), timeoutMs} = {}) {
  dir = path.resolve(dir)
  const f = files(dir)
  const stop = () => stopBroker(dir)

  const existing = runningPid(dir)
  if (existing) {
    // Already running (maybe still starting, from another `up`): just wait until it answers.
    const addr = /^advertised\.listeners=PLAINTEXT:\/\/(127\.0\.0\.1:\d+)/m.exec(readText(f.props) ?? '')?.[1]
    if (addr) {
      await waitReady(addr, {pid: existing, logFile: f.log, timeoutMs})
      fs.writeFileSync(f.bootstrap, `${addr}\n`)
      return {bootstrap: addr, pid: existing, stop}
    }
    await stopBroker(dir) // running but its config is gone: restart cleanly
  }

  const libs = ensureJars()
  fs.mkdirSync(f.data, {recursive: true})
  const {port, cport} = await pickPorts(f.props)
  const bootstrap = `127.0.0.1:${port}`
  fs.writeFileSync(f.props, serverProperties({port, cport, data: f.data}))
  fs.rmSync(f.bootstrap, {force: true})

  const cp = path.join(libs, '*') // Java expands the wildcard itself (no shell involved)
  // Reuse the id of already-formatted data: --ignore-formatted still fails on a different id.
  const formatted = /^cluster\.id=(\S+)/m.exec(readText(path.join(f.data, 'meta.properties')) ?? '')?.[1]
  const clusterId = formatted ?? newClusterId()
  try {
    execFileSync(
      java(),
      // --cluster-id=<id> (not -t <id>) so an id that starts with '-' is never read as an option.
      [
        ...QUIET,
        '-cp',
        cp,
        'kafka.tools.StorageTool',
        'format',
        `--cluster-id=${clusterId}`,
        '-c',
        f.props,
        '--ignore-formatted',
      ],
      {cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8'},
    )
  } catch (err) {
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')
    throw new Error(`kafka StorageTool format failed in ${dir} (${err.code ?? err.status}):\n${out}`, {cause: err})
  }

  const pid = await startDetached(
    java(),
    [
      '-Xms128m',
      '-Xmx512m',
      '-XX:+UseSerialGC', // fewer GC threads: this shares 2 cores with the tests
      '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.showDateTime=true',
      '-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS',
      ...QUIET,
      '-cp',
      cp,
      'kafka.Kafka',
      f.props,
    ],
    {
      cwd: dir,
      logFile: f.log,
      pidFile: f.pid,
      log,
      ready: (pid) => waitReady(bootstrap, {pid, logFile: f.log, timeoutMs}),
      stop: () => stopBroker(dir),
    },
  )
  fs.writeFileSync(f.bootstrap, `${bootstrap}\n`)
  return {bootstrap, pid, stop}
}

/** Stop the broker of state dir `dir`: SIGTERM its process group, SIGKILL after a timeout. */
export async function stopBroker(dir = defaultDir(), {timeoutMs = STOP_TIMEOUT_MS} = {}) {
  dir = path.resolve(dir)
  const f = files(dir)
  return stopDetached(runningPid(dir), [f.pid, f.bootstrap], timeoutMs, log)
}

/** {running, pid, bootstrap} of state dir `dir` (no network call). */
export function brokerStatus(dir = defaultDir()) {
  const pid = runningPid(path.resolve(dir))
  return {running: Boolean(pid), pid, bootstrap: pid ? readText(files(dir).bootstrap) : undefined}
}

async function main(cmd) {
  const dir = defaultDir()
  switch (cmd) {
    case 'jars':
      console.log(ensureJars())
      return 0
    case 'up': {
      const t0 = Date.now()
      const {bootstrap} = await startBroker({dir})
      log(`broker ready in ${Date.now() - t0} ms (state in ${dir})`)
      console.log(bootstrap) // stdout holds only the address: BROKERS=$(node scripts/kafka.mjs up)
      return 0
    }
    case 'down':
      log((await stopBroker(dir)) ? 'broker stopped' : 'no broker running')
      return 0
    case 'status': {
      const s = brokerStatus(dir)
      console.log(s.running ? `running ${s.bootstrap ?? '(starting)'} pid ${s.pid}` : 'stopped')
      return s.running ? 0 : 3 // LSB status code for "not running"
    }
    default:
      console.error('usage: node scripts/kafka.mjs up|down|status|jars   (state dir: $FA_KAFKA_DIR or .kafka/)')
      return 2
  }
}

let quiet = false
/** kafkajs 2.2.4 passes a negative delay to setTimeout (tulios/kafkajs#1751); harmless, but Node 24 warns. */
export function quietKafkajsWarnings() {
  if (quiet) return
  quiet = true
  const emitWarning = process.emitWarning
  process.emitWarning = (w, ...rest) =>
    (w?.name ?? rest[0]?.type ?? rest[0]) === 'TimeoutNegativeWarning'
      ? undefined
      : emitWarning.call(process, w, ...rest)
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
