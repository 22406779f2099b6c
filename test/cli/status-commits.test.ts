// `fa status` tells when each group last committed: Kafka's OffsetFetch has no commit time, so
// fa enrich (at-least-once and --exactly-once) and fa send write it into their commit metadata.
import {readFileSync, writeFileSync} from 'node:fs'

import {afterAll, describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig, type TestConfig} from '../support/fa-process.js'
import {TOKEN} from '../support/send.js'
import {startSlackServer, type SlackServer} from '../support/slack-server.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers, FA_LOG_FORMAT: 'json', SLACK_BOT_TOKEN: TOKEN}
const servers: SlackServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

async function fa(cfg: TestConfig, ...args: string[]) {
  const result = await runFa([...args, '-c', cfg.file], {env})
  if (result.code !== 0) throw new Error(`fa ${args.join(' ')} exited ${result.code}: ${result.stderr}`)
  return result
}

interface Group {
  role: string
  lastCommitAt: string | null
  partitions: Array<{topic: string; committed: number; committedAt: string | null}>
}

/** The group of `role` in `fa status --json`, and the human line of that group. */
async function statusOf(cfg: TestConfig, role: string): Promise<{group: Group; line: string}> {
  const report = JSON.parse((await fa(cfg, 'status', '--json')).stdout)
  const human = (await fa(cfg, 'status')).stdout
  const line = human.split('\n').find((l) => l.includes(`(${role}):`)) ?? ''
  return {group: report.groups.find((g: Group) => g.role === role), line}
}

/** Runs `args` and checks that status then says the group of `role` last committed during the run, per partition too. */
async function expectCommitTimeOf(cfg: TestConfig, role: string, args: string[]): Promise<void> {
  const before = Date.now()
  await fa(cfg, ...args)
  const after = Date.now()
  const {group, line} = await statusOf(cfg, role)
  expect(group.lastCommitAt, JSON.stringify(group)).not.toBeNull()
  const last = Date.parse(group.lastCommitAt!)
  expect(last).toBeGreaterThanOrEqual(before)
  expect(last).toBeLessThanOrEqual(after)
  expect(line).toContain(`last commit ${group.lastCommitAt}`)
  const committed = group.partitions.filter((p) => p.committed >= 0)
  expect(committed.length).toBeGreaterThan(0)
  for (const p of committed) {
    expect(p.committedAt, JSON.stringify(p)).not.toBeNull()
    expect(Date.parse(p.committedAt!)).toBeGreaterThanOrEqual(before)
    expect(Date.parse(p.committedAt!)).toBeLessThanOrEqual(last)
  }
}

/** A config on `cfg`'s topics with another enrich group. */
function withEnrichGroup(cfg: TestConfig, group: string): TestConfig {
  const file = cfg.file.replace(/\.yaml$/, `-${group}.yaml`)
  writeFileSync(file, readFileSync(cfg.file, 'utf8').replace(/^ {2}group: .*$/m, `  group: ${group}`))
  return {...cfg, file}
}

describe('fa status: last commit', () => {
  it(
    'of enrich at-least-once and --exactly-once, and of send, from their commit metadata',
    {timeout: 180_000},
    async () => {
      const slack = await startSlackServer({token: TOKEN, rate: {perSecond: 50, burst: 10}})
      servers.push(slack)
      const group = `g-commits-${Date.now()}`
      const cfg = prefixedConfig(
        'status-commits',
        `enrich:\n  group: ${group}\nslack:\n  apiUrl: ${slack.url}\n  group: ${group}-send\n  perChannelPerSecond: 50\n`,
      )
      await fa(cfg, 'topics', 'create')
      // Timestamps of now: the fixture's own are older than the broker's retention and the send's maxAlertAge.
      await fa(cfg, 'replay', 'fixtures/provisioning.jsonl', '--yes', '--timestamps', 'now')
      const fresh = await statusOf(cfg, 'enrich')
      expect(fresh.group.lastCommitAt).toBeNull()
      expect(fresh.line).toContain('no commits yet')

      await expectCommitTimeOf(cfg, 'enrich', ['enrich', '--from', 'earliest'])
      await expectCommitTimeOf(withEnrichGroup(cfg, `${group}-eos`), 'enrich', [
        'enrich',
        '--from',
        'earliest',
        '--exactly-once',
      ])
      await expectCommitTimeOf(cfg, 'send', ['send', '--from', 'earliest'])
      expect(slack.posts.length).toBeGreaterThan(0)
    },
  )
})
