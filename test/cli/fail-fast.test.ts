// Fail fast, fail clearly: a broker list that is not host:port is a usage error at once; an
// unreachable or silent broker fails within the connection timeout with one line naming the
// brokers (kafkajs' retry chatter only in the debug log); a signal while connecting stops at once.
import {spawn} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'

// A TCP server that accepts and never answers: kafkajs' requests to it just wait.
let silent: net.Server
let silentBroker: string
const sockets = new Set<net.Socket>()
beforeAll(async () => {
  silent = net.createServer((socket) => void sockets.add(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  silentBroker = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`
})
afterAll(() => {
  for (const socket of sockets) socket.destroy()
  return new Promise<void>((resolve) => silent.close(() => resolve()))
})

const refused = '127.0.0.1:1'

async function timed(args: string[], env: NodeJS.ProcessEnv) {
  const started = Date.now()
  const result = await runFa(args, {env: {FA_LOG_FORMAT: 'json', ...env}})
  return {...result, ms: Date.now() - started}
}

describe('brokers', () => {
  it.each([['localhost'], ['k1:9092,k2'], ['http://k1:9092'], ['k1:port']])(
    'KAFKA_BROKERS=%s is a usage error before any connection',
    async (brokers) => {
      const {code, stderr, ms} = await timed(['enrich', '--from', 'earliest'], {KAFKA_BROKERS: brokers})
      expect(code).toBe(2)
      expect(stderr).toContain(`KAFKA_BROKERS "${brokers}": every broker must be host:port`)
      expect(ms).toBeLessThan(5_000)
    },
  )

  it.each([
    ['refusing connections', () => refused],
    ['accepting and never answering', () => silentBroker],
  ])(
    'a broker %s fails every command within the connection timeout, in one line',
    async (_what, broker) => {
      const commands = [
        ['enrich', '--from', 'earliest'],
        ['send', '--dry-run', '--from', 'earliest'],
        ['topics', 'create'],
      ]
      for (const args of commands) {
        const {code, stderr, ms} = await timed(args, {KAFKA_BROKERS: broker()})
        expect(code, `${args[0]}: ${stderr}`).toBe(5)
        // The default connection timeout is 10 s; start-up and exit are the "little" on top.
        expect(ms, args[0]).toBeLessThan(16_000)
        const lines = stderr.trimEnd().split('\n')
        const errors = lines.filter((l) => !l.startsWith('{'))
        expect(errors, args[0]).toHaveLength(1)
        expect(errors[0]).toMatch(new RegExp(`^Error: Kafka: .*${broker().replace('.', '\\.')}`))
        // No kafkajs chatter (its connection retries) among the log lines.
        expect(lines.filter((l) => l.includes('"component":"kafkajs"'))).toEqual([])
      }
    },
    120_000,
  )

  it('kafka.connectionTimeoutMs sets the wait', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-fail-fast-')), 'fa.config.yaml')
    writeFileSync(file, 'kafka:\n  connectionTimeoutMs: 2000\n')
    const {code, stderr, ms} = await timed(['enrich', '--from', 'earliest', '-c', file], {KAFKA_BROKERS: silentBroker})
    expect(code).toBe(5)
    expect(stderr).toContain(`Error: Kafka: cannot connect to ${silentBroker} within 2 s`)
    expect(ms).toBeLessThan(7_000)
  })

  /** Starts `args` against the silent broker, sends `signal` once it is connecting: how long it took to exit, and its code. */
  async function signalWhileConnecting(
    args: string[],
    signal: NodeJS.Signals,
  ): Promise<{ms: number; code: number | null}> {
    const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
      env: {...process.env, KAFKA_BROKERS: silentBroker, FA_LOG_FORMAT: 'json'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const exited = new Promise<{at: number; code: number | null}>((resolve) =>
      child.on('exit', (code) => resolve({at: Date.now(), code})),
    )
    // Well into its connection attempt (start-up takes a fraction of this), and far from its timeout.
    await new Promise((r) => setTimeout(r, 2_000))
    const sent = Date.now()
    child.kill(signal)
    const {at, code} = await exited
    return {ms: at - sent, code}
  }

  it.each([['SIGINT'], ['SIGTERM']] as const)(
    '%s while connecting to an unreachable broker exits within 2 s',
    async (signal) => {
      const {ms} = await signalWhileConnecting(['enrich', '--follow', '--from', 'earliest'], signal)
      expect(ms).toBeLessThan(2_000)
    },
  )

  it.each([
    ['status', 130],
    ['status --watch', 0],
    ['tail slack-messages', 130],
    ['tail slack-messages --follow', 0],
  ])(
    'fa %s exits within 2 s of SIGINT while connecting (code %s: only a watch or follow ends this way as it should)',
    async (args, expected) => {
      const {ms, code} = await signalWhileConnecting(args.split(' '), 'SIGINT')
      expect(ms).toBeLessThan(2_000)
      expect(code).toBe(expected)
    },
  )
})

describe('--json errors', () => {
  it('are one JSON object on stderr with message, hint and exit code', async () => {
    const usage = await timed(['enrich', '--json', '--from', 'earliest'], {KAFKA_BROKERS: 'nope'})
    expect(usage.code).toBe(2)
    expect(usage.stdout).toBe('')
    expect(JSON.parse(usage.stderr)).toEqual({
      error: {
        message: expect.stringContaining('KAFKA_BROKERS "nope": every broker must be host:port'),
        hint: expect.any(String),
        exit: 2,
      },
    })
    const flag = await timed(['send', '--json', '--bogus'], {})
    expect(flag.code).toBe(2)
    expect(JSON.parse(flag.stderr).error).toMatchObject({message: expect.stringContaining('--bogus'), exit: 2})
    // A mistyped flag gets its suggestion, oclif's usage errors their own words in one line, the help as the hint.
    expect(JSON.parse((await timed(['send', '--json', '--dryrun'], {})).stderr)).toEqual({
      error: {
        message: 'unknown flag --dryrun: did you mean --dry-run?',
        hint: 'fa send --help lists every flag',
        exit: 2,
      },
    })
    expect(JSON.parse((await timed(['status', '--json', '--interval', '3'], {})).stderr)).toEqual({
      error: {
        message: 'All of the following must be provided when using --interval: --watch',
        hint: 'fa status --help lists every flag',
        exit: 2,
      },
    })
    // Without --json, the same one line.
    const plain = await timed(['status', '--interval', '3'], {})
    expect(plain.code).toBe(2)
    expect(plain.stderr).toBe(
      'Error: All of the following must be provided when using --interval: --watch (fa status --help lists every flag)\n',
    )
    const missing = await timed(['replay', '--json'], {})
    expect(JSON.parse(missing.stderr).error.message).toMatch(/^Missing 1 required arg: file +fixture file/)
    expect(missing.stderr).not.toMatch(/See more help|Note:/)
    const unknown = await timed(['sedn', '--json'], {})
    expect(unknown.code).toBe(127)
    expect(JSON.parse(unknown.stderr)).toEqual({
      error: {message: 'sedn is not a fa command: did you mean `fa send --json`?', hint: null, exit: 127},
    })
    const kafka = await timed(['topics', 'create', '--json'], {KAFKA_BROKERS: refused})
    expect(kafka.code).toBe(5)
    expect(JSON.parse(kafka.stderr).error).toMatchObject({message: expect.stringContaining(refused), exit: 5})
  })
})

describe('fa produce without Google credentials', () => {
  it('fails within 2 s with the one-line fix, even when the metadata server probe gets no answer', async () => {
    const home = mkdtempSync(path.join(tmpdir(), 'fa-no-gcloud-'))
    const {code, stderr, ms} = await timed(['produce', 'onboarding', '--since', '1h'], {
      HOME: home,
      CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
      GOOGLE_APPLICATION_CREDENTIALS: '',
      GOOGLE_CLOUD_PROJECT: 'fa-test',
      // The probe goes to a server that never answers: only its timeout ends it.
      GCE_METADATA_HOST: silentBroker,
      KAFKA_BROKERS: refused,
    })
    expect(code).toBe(4)
    expect(stderr).toBe(
      'Error: no Google credentials found for BigQuery (run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)\n',
    )
    // 2 s of fa's own, plus Node's start-up on a shared machine.
    expect(ms).toBeLessThan(3_500)
  })
})
