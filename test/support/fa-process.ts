// Helpers for tests that run `fa enrich` against the real broker: a per-test config with its own
// topic names, a long-running fa process whose log lines can be awaited, and a read_committed
// "read the topic to its end" that counts exactly what is there.
import {spawn, type ChildProcess} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Kafka, KafkaMessage} from 'kafkajs'
import {afterAll} from 'vitest'

import {defaultTopics} from '../../src/lib/config/schema.js'
import {root} from './cli.js'

/** Fast failover for tests: a killed member leaves the group after 6 s, fetches wait 100 ms when idle. */
export const fastKafkaEnv: NodeJS.ProcessEnv = {
  FA_KAFKA_SESSION_TIMEOUT_MS: '6000',
  FA_KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
  FA_KAFKA_REBALANCE_TIMEOUT_MS: '10000',
  FA_KAFKA_MAX_WAIT_MS: '100',
  FA_LOG_FORMAT: 'json',
}

export interface TestConfig {
  file: string
  prefix: string
  /** Logical name → real (prefixed) topic name. */
  topics: Record<keyof typeof defaultTopics, string>
}

/**
 * A config whose every topic is `<prefix><default name>` and whose enrich group is `<prefix>g`
 * (unless `extra` names one), so tests never share topics, repartition topics included.
 */
export function prefixedConfig(what: string, extra = ''): TestConfig {
  const prefix = `t-${what}-${randomUUID().slice(0, 8)}.`
  const topics = Object.fromEntries(
    Object.entries(defaultTopics).map(([k, v]) => [k, prefix + v]),
  ) as TestConfig['topics']
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-test-config-'))
  const file = path.join(dir, 'fa.config.yaml')
  writeFileSync(
    file,
    `topics:\n${Object.entries(topics)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n${/^enrich:/m.test(extra) ? '' : `enrich:\n  group: ${prefix}g\n`}${extra}`,
  )
  return {file, prefix, topics}
}

/** The fa processes a test file has running: whichever are left when the file ends are killed. */
export function runningProcesses(): Set<FaProcess> {
  const running = new Set<FaProcess>()
  afterAll(() => {
    for (const fa of running) fa.child.kill('SIGKILL')
  })
  return running
}

export interface FaProcess {
  child: ChildProcess
  /** Every JSON log line so far (stderr). */
  logs: Array<Record<string, unknown>>
  stdout: () => string
  stderr: () => string
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

/** Starts the built fa (bin/run.js) with Node 24 and JSON logs; does not wait for it. */
export function startFa(args: string[], env: NodeJS.ProcessEnv = {}): FaProcess {
  return spawnFa(args, {...fastKafkaEnv, ...env})
}

/**
 * Starts the built fa with Node 24 and exactly `env` (over the parent's, NO_COLOR set); its
 * JSON log lines (stderr) can be awaited. Errors quote the last `stderrTail` characters of stderr.
 */
export function spawnFa(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: {waitForLogMs?: number; stderrTail?: number} = {},
): FaProcess {
  const {waitForLogMs = 60_000, stderrTail = 4000} = options
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
    cwd: root,
    env: {...process.env, NO_COLOR: '1', ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  const logs: Array<Record<string, unknown>> = []
  const waiters = new Set<{
    match: (line: Record<string, unknown>) => boolean
    resolve: (line: Record<string, unknown>) => void
  }>()
  // Decoded as streams: a character's bytes split across two chunks stay one character.
  child.stdout!.setEncoding('utf8')
  child.stderr!.setEncoding('utf8')
  child.stdout!.on('data', (d: string) => (stdout += d))
  child.stderr!.on('data', (d: string) => {
    stderr += d
    const lines = (partial + d).split('\n')
    partial = lines.pop()!
    for (const text of lines) {
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text)
      } catch {
        continue
      }
      logs.push(line)
      for (const waiter of waiters) {
        if (waiter.match(line)) {
          waiters.delete(waiter)
          waiter.resolve(line)
        }
      }
    }
  })
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) =>
    child.on('close', (code, signal) => resolve({code, signal})),
  )
  return {
    child,
    logs,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLog(match, timeoutMs = waitForLogMs) {
      const seen = logs.find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const waiter = {match, resolve: (line: Record<string, unknown>) => (clearTimeout(timer), resolve(line))}
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(new Error(`no matching log line after ${timeoutMs} ms; stderr:\n${stderr.slice(-stderrTail)}`))
        }, timeoutMs)
        waiters.add(waiter)
        exited.then(() => {
          if (!waiters.has(waiter)) return
          waiters.delete(waiter)
          clearTimeout(timer)
          reject(new Error(`fa exited before the expected log line; stderr:\n${stderr.slice(-stderrTail)}`))
        })
      })
    },
  }
}

export interface ReadRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: string | null
  headers: Record<string, string>
  timestamp: string
}

/**
 * Reads `topics` from the beginning to their end offsets now, read_committed (aborted
 * transactions and markers are skipped, as every downstream consumer would). A partition is
 * done when a batch (even one of only markers) reaches its end offset.
 */
export async function readToEnd(kafka: Kafka, topics: string[], timeoutMs = 30_000): Promise<ReadRecord[]> {
  const read = await readMessagesToEnd(
    kafka,
    topics,
    timeoutMs,
    (pending) => `readToEnd: partitions not done: ${pending.join(', ')}`,
  )
  return read.map(({topic, partition, message}) => toRead(topic, partition, message))
}

/** `readToEnd` as kafkajs gives the records; the timeout error says `timeoutMessage(partitions not done)`. */
export async function readMessagesToEnd(
  kafka: Kafka,
  topics: string[],
  timeoutMs: number,
  timeoutMessage: (pending: string[]) => string,
): Promise<Array<{topic: string; partition: number; message: KafkaMessage}>> {
  const admin = kafka.admin()
  await admin.connect()
  const pending = new Map<string, number>()
  try {
    for (const topic of topics) {
      for (const {partition, high, low} of await admin.fetchTopicOffsets(topic)) {
        if (Number(high) > Number(low)) pending.set(`${topic}:${partition}`, Number(high))
      }
    }
  } finally {
    await admin.disconnect()
  }
  const out: Array<{topic: string; partition: number; message: KafkaMessage}> = []
  if (pending.size === 0) return out
  const consumer = kafka.consumer({
    groupId: `fa-test-read-${randomUUID()}`,
    maxWaitTimeInMs: 100,
    readUncommitted: false,
  })
  let done: () => void = () => {}
  const allDone = new Promise<void>((resolve) => (done = resolve))
  const advance = (topic: string, partition: number, next: number) => {
    const target = pending.get(`${topic}:${partition}`)
    if (target !== undefined && next >= target) {
      pending.delete(`${topic}:${partition}`)
      if (pending.size === 0) done()
    }
  }
  consumer.on(consumer.events.END_BATCH_PROCESS, ({payload}) =>
    advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1),
  )
  let timer: NodeJS.Timeout | undefined
  try {
    await consumer.connect()
    await consumer.subscribe({topics, fromBeginning: true})
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({batch}) => {
        for (const message of batch.messages) out.push({topic: batch.topic, partition: batch.partition, message})
      },
    })
    await Promise.race([
      allDone,
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error(timeoutMessage([...pending.keys()]))), timeoutMs)),
      ),
    ])
  } finally {
    clearTimeout(timer)
    await Promise.race([consumer.disconnect(), new Promise((r) => setTimeout(r, 10_000))])
  }
  return out
}

function toRead(topic: string, partition: number, message: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = String(Array.isArray(value) ? value.at(-1) : value)
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    headers,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
  }
}
