// `fa init` against the test broker: the real connection check and topic creation (the questions
// that lead there: test/unit/init).
import {existsSync, mkdtempSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../src/lib/config/load.js'
import {runFa} from '../support/cli.js'
import {testKafka, uniquePrefix, withAdmin} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-init-'))

/** Loads a written config the way every command does, without this process' KAFKA_* variables. */
const load = (file: string, env: NodeJS.ProcessEnv = {}) => loadConfig(file, env)

describe('fa init against the test broker', () => {
  it('checks the connection and creates the topics (local: by default)', async () => {
    const dir = tmp()
    const prefix = uniquePrefix('init')
    const {code, stdout, stderr} = await runFa(
      ['init', '--yes', '--kafka', 'local', '--brokers', brokers, '--topic-prefix', prefix],
      {cwd: dir},
    )
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(new RegExp(`✓ connected to ${brokers}: cluster \\S+, 1 broker\\n`))
    // The config's ten topics, and the repartition topics of its enrich group's two stateful alert types.
    expect(stdout).toMatch(/✓ topics: 12 created/)
    const topics = await withAdmin(testKafka(brokers), (admin) => admin.listTopics())
    const {config} = await load(path.join(dir, 'fa.config.yaml'))
    for (const topic of Object.values(config.topics)) expect(topics).toContain(topic)
    expect(topics).toContain(`${config.enrich.group}-connector-provisioning-failed-repartition`)

    // Again with --force: the topics exist already, which is not an error.
    const again = await runFa(
      ['init', '--yes', '--force', '--kafka', 'local', '--brokers', brokers, '--topic-prefix', prefix],
      {cwd: dir},
    )
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('✓ topics: 0 created, 12 already existed')
  })

  it('reports a cluster it cannot reach within the timeout, keeps the file, exits 5', async () => {
    const dir = tmp()
    // A port nothing listens on: connection refused, retried twice, then a one-line failure.
    const {code, stdout} = await runFa(['init', '--yes', '--kafka', 'local', '--brokers', '127.0.0.1:1'], {
      cwd: dir,
      env: {KAFKA_BROKERS: ''},
    })
    expect(code).toBe(5)
    expect(stdout).toMatch(/✗ Kafka: connecting failed \(127\.0\.0\.1:1\)/)
    expect(stdout).not.toContain('✓ topics')
    expect(existsSync(path.join(dir, 'fa.config.yaml'))).toBe(true)
  })
  it('a broker that accepts and never answers: the one line within the connection timeout, as every command', async () => {
    const sockets = new Set<net.Socket>()
    const silent = net.createServer((socket) => void sockets.add(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const broker = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`
    try {
      const started = Date.now()
      const {code, stdout} = await runFa(['init', '--yes', '--kafka', 'other', '--brokers', broker], {
        cwd: tmp(),
        env: {KAFKA_BROKERS: ''},
      })
      const ms = Date.now() - started
      expect(code).toBe(5)
      expect(stdout).toContain(`✗ Kafka: no answer from ${broker} within 10 s`)
      // kafka.connectionTimeoutMs (10 s by default) plus start-up, not a wait of its own.
      expect(ms).toBeLessThan(13_000)
    } finally {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    }
  })
})
