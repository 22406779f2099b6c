// `fa status` and `fa tail` after the sample fixture went through `fa enrich` on the test broker.
import {beforeAll, describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig, runningProcesses, spawnFa, type TestConfig} from '../support/fa-process.js'
import {testKafka} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers, FA_LOG_FORMAT: 'json'}

// Groups of their own: a shared broker may hold the default groups of other runs.
const run = Date.now()
let cfg: TestConfig
const running = runningProcesses()
const fa = async (...args: string[]) => {
  const result = await runFa([...args, '-c', cfg.file], {env})
  if (result.code !== 0) throw new Error(`fa ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return result
}

beforeAll(async () => {
  cfg = prefixedConfig('status', `enrich:\n  group: g-status-${run}\nslack:\n  group: g-status-send-${run}\n`)
  await fa('topics', 'create')
  // The config names the prefixed topics: replay writes the fixture's records to them.
  await fa('replay', 'fixtures/provisioning.jsonl', '--yes')
  await fa('enrich', '--from', 'earliest')
})

describe('fa status', () => {
  it('shows the enrich group caught up, the send group behind by every alert, table rows and checkpoints', async () => {
    const {stdout} = await fa('status', '--json')
    const report = JSON.parse(stdout)
    const [enrich, send] = report.groups
    expect(enrich).toMatchObject({role: 'enrich', lag: 0, members: []})
    expect(enrich.state).toMatch(/Empty|Stable/)
    const notifications = enrich.partitions.filter((p: {topic: string}) => p.topic === cfg.topics.notifications)
    expect(notifications).toHaveLength(3)
    for (const p of notifications) expect(p).toMatchObject({lag: 0, committed: p.end})
    // Its repartition topics too: the stateful alert types' records wait there.
    expect(Object.keys(enrich.topics)).toContain(`g-status-${run}-connector-provisioning-failed-repartition`)
    // fa send never ran: nothing committed, every alert waiting (5 in the sample fixture).
    // Enrich loads the tables first (as --tables-first does): 6 alerts and 4 updates of incidents, all behind.
    expect(send).toMatchObject({role: 'send', state: 'Dead', lag: 10, topics: {[cfg.topics.slackMessages]: 10}})
    expect(send.partitions.every((p: {committed: number}) => p.committed === -1)).toBe(true)
    expect(report.tables).toEqual([
      {table: 'assignments', topic: cfg.topics.assignments, rows: 3},
      {table: 'slack-users', topic: cfg.topics.slackUsers, rows: 3},
    ])
    expect(report.checkpoints).toEqual([{producer: 'onboarding', until: null, committedAt: null}])

    const human = await fa('status')
    expect(human.stdout).toMatch(/group \S+ \(send\): Dead, 0 member\(s\), lag 10/)
    expect(human.stdout).toMatch(/assignments +\S+ +3/)
  })
  it('--watch --json prints a report per interval until stopped', async () => {
    const fa = spawnFa(['status', '--watch', '--interval', '1', '--json', '-c', cfg.file], env)
    running.add(fa)
    const deadline = Date.now() + 30_000
    while (fa.stdout().split('\n').filter(Boolean).length < 2 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100))
    fa.child.kill('SIGTERM')
    await fa.exited
    const reports = fa
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(reports.length).toBeGreaterThanOrEqual(2)
    expect(Date.parse(reports[1].at) - Date.parse(reports[0].at)).toBeGreaterThanOrEqual(900)
    expect(reports[1].tables).toEqual(reports[0].tables)
  })
})

describe('fa tail', () => {
  it('shows dead letters with their reason and origin, and alerts as replay shows them', async () => {
    const dead = await fa('tail', 'fa-dead-letters', '--from', 'earliest')
    expect(dead.stdout).toContain(`✗ dead letter ${cfg.topics.notifications}[`)
    expect(dead.stdout).toContain('connector-provisioning-failed: value is not valid JSON')
    expect(dead.stdout).toContain('assignments: table assignments: csdrEmail')

    const alerts = await fa('tail', 'slack-messages', '--from', 'earliest')
    expect(
      alerts.stdout.match(/^▶ (connector-provisioning-failed|onboarding-started) → U\w+ {2}fa-[0-9a-f]{32}$/gm),
    ).toHaveLength(6)
    expect(alerts.stdout.match(/^↻ update, revision \d of connector-provisioning-failed → U\w+/gm)).toHaveLength(3)
    // The final update is shown as the resolution it is (its fa-resolved header).
    expect(alerts.stdout.match(/^✓ resolved, revision 2 of connector-provisioning-failed → U\w+/gm)).toHaveLength(1)
    expect(alerts.stdout).toContain('Connector failed to provision')

    const json = await fa('tail', cfg.topics.slackMessages, '--json', '-n', '1')
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    // The last record of each partition that has one, as fixture envelopes.
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.length).toBeLessThanOrEqual(3)
    for (const line of lines)
      expect(line).toMatchObject({
        topic: cfg.topics.slackMessages,
        headers: {'fa-alert-id': expect.stringMatching(/^fa-[0-9a-f]{32}$/)},
        // As replay --dry-run --json prints alerts: the value as JSON, not its text.
        value: {alertId: line.key, channel: expect.stringMatching(/^U/)},
      })

    const none = await fa('tail', 'slack-responses', '--from', 'latest')
    expect(none.stdout).toBe('')
  })

  it('--follow prints each new record as it arrives, also into a pipe (not only when stopped)', async () => {
    const tail = spawnFa(['tail', 'fa-dead-letters', '--follow', '--json', '-n', '0', '-c', cfg.file], env)
    running.add(tail)
    const producer = testKafka(brokers).producer({allowAutoTopicCreation: false})
    await producer.connect()
    try {
      // Its consumer joins a moment after start: a record every second until one is shown.
      const deadline = Date.now() + 30_000
      while (!tail.stdout().includes('\n') && Date.now() < deadline) {
        await producer.send({
          topic: cfg.topics.deadLetters,
          messages: [{key: 'org-follow', value: '{not json', headers: {'fa-error': 'value is not valid JSON'}}],
        })
        await new Promise((resolve) => setTimeout(resolve, 1_000))
      }
      // Still running: the line came while following, not from the flush at exit.
      expect(tail.child.exitCode).toBeNull()
      const first = JSON.parse(tail.stdout().split('\n')[0]!)
      expect(first).toMatchObject({topic: cfg.topics.deadLetters, key: 'org-follow'})
    } finally {
      await producer.disconnect()
      tail.child.kill('SIGINT')
      await tail.exited
    }
  }, 60_000)

  it('refuses a topic that is not one of fa own, naming them', async () => {
    const result = await runFa(['tail', 'data-csdr-assignment', '-c', cfg.file], {env})
    expect(result.code).toBe(2)
    expect(result.stderr).toContain(`fa tail reads fa's own topics, not data-csdr-assignment`)
    expect(result.stderr).toContain(cfg.topics.deadLetters)
  })
})
