// `fa init` against the test broker: the connection check and topic creation, with flags and on a pseudo-terminal.
import {existsSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../src/lib/config/load.js'
import {runFa} from '../support/cli.js'
import {testKafka, uniquePrefix, withAdmin} from '../support/kafka-io.js'
import {hasScript, KEY as K, runFaOnTty} from '../support/pty.js'

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
    expect(stdout).toMatch(/✓ topics: 8 created/)
    const topics = await withAdmin(testKafka(brokers), (admin) => admin.listTopics())
    const {config} = await load(path.join(dir, 'fa.config.yaml'))
    for (const topic of Object.values(config.topics)) expect(topics).toContain(topic)

    // Again with --force: the topics exist already, which is not an error.
    const again = await runFa(
      ['init', '--yes', '--force', '--kafka', 'local', '--brokers', brokers, '--topic-prefix', prefix],
      {cwd: dir},
    )
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('✓ topics: 0 created, 8 already existed')
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
})

describe.skipIf(!hasScript)('fa init on a terminal (pseudo-TTY via `script`)', () => {
  it('the local broker: checks the connection and creates the topics', async () => {
    const dir = tmp()
    const prefix = uniquePrefix('init-tty')
    const {code, output} = await runFaOnTty(
      ['init'],
      [
        [/Where is Kafka\?/, K.enter],
        [/Local broker address/, brokers + K.enter],
        [/Topic name prefix/, prefix + K.enter],
        [/Use these\?/, K.enter],
        [/Consumer group/, K.enter],
        [/Check the connection/, K.enter],
        [/Create the topics on .* now\? \(Y\/n\)/, K.enter],
      ],
      {cwd: dir},
    )
    expect(output).toMatch(/✓ connected to \S+: cluster \S+, 1 broker/)
    expect(output).toMatch(/✓ topics: 8 created/)
    expect(code).toBe(0)
    expect((await load(path.join(dir, 'fa.config.yaml'))).config.enrich.group).toBe('fa-enrich')
  })
})
