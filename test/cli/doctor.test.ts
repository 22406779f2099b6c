// `fa doctor` as a user runs it: against the test broker with every topic, with one topic
// missing, and against a port where nothing listens (within the time it promises).
import {createServer, type Server} from 'node:net'
import type {AddressInfo} from 'node:net'

import {afterAll, describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig} from '../support/fa-process.js'
import {ensureTopics} from '../../src/lib/kafka/topics.js'
import {withAdmin, testKafka} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
// No Slack token, no BigQuery project: those checks are skipped, not failed.
const env = {KAFKA_BROKERS: brokers, SLACK_BOT_TOKEN: '', GOOGLE_CLOUD_PROJECT: ''}

interface Check {
  name: string
  status: 'pass' | 'fail' | 'skip'
  detail: string
  fix?: string
}

async function doctor(file: string, extra: NodeJS.ProcessEnv = {}) {
  const started = Date.now()
  const result = await runFa(['doctor', '-c', file, '--json'], {env: {...env, ...extra}})
  const report = JSON.parse(result.stdout) as {ok: boolean; checks: Check[]}
  return {
    ...result,
    report,
    ms: Date.now() - started,
    check: (name: string) => report.checks.find((c) => c.name === name),
  }
}

describe('fa doctor', () => {
  it('passes against a healthy broker with every topic: ✓ lines, the broker version, exit 0', async () => {
    const cfg = prefixedConfig('doctor-ok')
    const created = await runFa(['topics', 'create', '-c', cfg.file], {env})
    expect(created.code, created.stderr).toBe(0)
    const {code, report, check, stderr} = await doctor(cfg.file)
    expect(code, stderr + JSON.stringify(report, null, 1)).toBe(0)
    expect(report.ok).toBe(true)
    expect(check('config')?.status).toBe('pass')
    expect(check('kafka')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/1 broker\(s\).*Kafka 4\.x or later/),
    })
    for (const topic of Object.values(cfg.topics)) expect(check(`topic ${topic}`)?.status, topic).toBe('pass')
    expect(check(`topic ${cfg.topics.assignments}`)?.detail).toContain('cleanup.policy=compact')
    expect(check('slack')).toMatchObject({status: 'skip', fix: expect.stringContaining('SLACK_BOT_TOKEN')})
    expect(check('schema registry')?.status).toBe('skip')

    const human = await runFa(['doctor', '-c', cfg.file], {env})
    expect(human.stdout).toMatch(new RegExp(`✓ topic ${cfg.topics.slackMessages.replaceAll('.', '\\.')} +3 partitions`))
    expect(human.stdout).toMatch(/all checks passed/)
  })

  it('a missing topic and a table that is not compacted fail with the fix; exit 1', async () => {
    const cfg = prefixedConfig('doctor-missing')
    const created = await runFa(['topics', 'create', '-c', cfg.file], {env})
    expect(created.code, created.stderr).toBe(0)
    await withAdmin(kafka, async (admin) => {
      // slack-responses goes; slack-users comes back as a plain topic: doctor must notice it is not compacted.
      await admin.deleteTopics({topics: [cfg.topics.slackResponses, cfg.topics.slackUsers]})
      // Deletion completes in the background: wait until both are gone before recreating one.
      const deadline = Date.now() + 30_000
      while ((await admin.listTopics()).some((t) => t === cfg.topics.slackResponses || t === cfg.topics.slackUsers)) {
        if (Date.now() > deadline) throw new Error('topics still listed 30 s after deleting them')
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      await ensureTopics(admin, [{topic: cfg.topics.slackUsers, roles: ['table'], compacted: false}], {
        partitions: 3,
        replicationFactor: 1,
      })
    })
    const {code, report, check} = await doctor(cfg.file)
    expect(code).toBe(1)
    expect(report.ok).toBe(false)
    expect(check(`topic ${cfg.topics.slackResponses}`)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('missing'),
      fix: expect.stringContaining('fa topics create'),
    })
    expect(check(`topic ${cfg.topics.slackUsers}`)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('should be compact'),
      fix: expect.stringContaining('cleanup.policy=compact'),
    })
    expect(check(`topic ${cfg.topics.assignments}`)?.status).toBe('pass')
    const human = await runFa(['doctor', '-c', cfg.file], {env})
    expect(human.code).toBe(1)
    expect(human.stdout).toMatch(new RegExp(`✗ topic ${cfg.topics.slackResponses.replaceAll('.', '\\.')} +missing`))
  })

  describe('with a stopped broker', () => {
    // A port that accepts nothing: bound, then closed again.
    let closedPort = 0
    let server: Server | undefined
    afterAll(() => server?.close())

    it('fails the kafka line with the brokers named, skips topics and groups, and answers within 15 s', async () => {
      server = createServer()
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      closedPort = (server.address() as AddressInfo).port
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
      const cfg = prefixedConfig('doctor-down')
      const {code, report, check, ms} = await doctor(cfg.file, {KAFKA_BROKERS: `127.0.0.1:${closedPort}`})
      expect(code).toBe(1)
      expect(check('kafka')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining(`127.0.0.1:${closedPort}`),
        fix: expect.stringContaining('KAFKA_BROKERS'),
      })
      expect(check('topics')?.status).toBe('skip')
      expect(check('groups')?.status).toBe('skip')
      expect(report.checks.filter((c) => c.status === 'fail')).toHaveLength(1)
      // The promise is ~15 s; generous for a shared machine (npx and Node's start included).
      expect(ms).toBeLessThan(20_000)
    })
  })
})
