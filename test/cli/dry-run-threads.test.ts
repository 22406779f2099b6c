// In the kafka project for the build, not a broker: helper threads run the bundled worker
// (dist/lib/replay/worker.js, through the package export fa/replay-worker).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {loadConfig} from '../../src/lib/config/load.js'
import {GoldenLines} from '../../src/lib/output/golden.js'
import {buildTopology} from '../../src/lib/alerts/topology.js'
import {replayDryRun, type FileCounts, type ReplayFormat} from '../../src/lib/replay/dry-run.js'

const dir = mkdtempSync(path.join(tmpdir(), 'fa-threads-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const line = (record: object) => JSON.stringify(record)
const assignment = (org: string, email: string, topic = 'data-csdr-assignment') =>
  line({topic, key: org, value: {orgId: org, orgName: `${org} Inc.`, csdrEmail: email, csdrName: email.split('@')[0]}})
const slackUser = (email: string, id: string) =>
  line({topic: 'data-slack-users', key: email, value: {email, slackUserId: id}})
const failure = (org: string, n: number) =>
  line({
    topic: 'data-notifications-pipeline',
    key: org,
    value: {
      eventId: `evt-${n}`,
      orgId: org,
      connectorId: `lcc-${n}`,
      connectorName: `pg-${n}`,
      oldStatus: 'Provisioning',
      newStatus: 'Failed',
    },
  })

/**
 * Tables that change all through the file: each round reassigns the orgs, adds and renames
 * Slack users, deletes an assignment, spells a table topic with an escape and holds a bad
 * table record and a malformed event, so an event's alert depends on the chunks before it.
 */
function fixture(rounds: number): {head: string[]; body: string[]} {
  const head = [assignment('org-0', 'a0@example.com'), slackUser('a0@example.com', 'UA0')]
  const body: string[] = []
  let n = 0
  for (let round = 0; round < rounds; round++) {
    const org = `org-${round % 5}`
    const email = `c${round % 7}@example.com`
    body.push(
      failure('org-0', n++),
      assignment(org, email),
      failure(org, n++),
      slackUser(` C${round % 7}@Example.com `, `U${round}`),
      failure(org, n++),
      line({topic: 'data-csdr-assignment', key: org, value: null}),
      failure(org, n++),
      assignment(org, `c${(round + 1) % 7}@example.com`).replace(
        '"data-csdr-assignment"',
        '"data-csdr-\\u0061ssignment"',
      ),
      failure(org, n++),
      line({topic: 'data-csdr-assignment', key: 'org-x', value: {orgId: 'org-x'}}),
      line({topic: 'data-notifications-pipeline', key: org, value: '{oops'}),
    )
  }
  return {head, body}
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 10) + minute * 60_000).toISOString()

/**
 * Incidents and histories whose state runs across chunks: a few connectors fail again and again
 * (updates), recover (resolutions) and fail after their window (new incidents); orgs create
 * clusters (first, then Nth); every third event has no timestamp and takes the previous one's.
 */
function statefulFixture(rounds: number): string[] {
  const lines = [assignment('org-0', 'a0@example.com'), slackUser('a0@example.com', 'UA0')]
  for (let n = 0; n < rounds; n++) {
    const connector = `lcc-${n % 4}`
    // Minutes jump by hours now and then, so 24 h windows end within the file.
    const minute = n * 7 + Math.floor(n / 50) * 1440
    const timestamp = n % 3 === 2 ? {} : {timestamp: at(minute)}
    const status = n % 9 === 4 ? 'Running' : 'Failed'
    lines.push(
      line({
        topic: 'data-notifications-pipeline',
        key: 'org-0',
        value: {
          eventId: `evt-${n}`,
          orgId: 'org-0',
          connectorId: connector,
          oldStatus: 'Provisioning',
          newStatus: status,
        },
        ...timestamp,
      }),
    )
    if (n % 5 === 0)
      lines.push(
        line({
          topic: 'data-cluster-events',
          key: `org-${n % 2}`,
          value: {eventId: `clu-${n}`, orgId: `org-${n % 2}`, clusterId: `lkc-${n}`},
          timestamp: at(minute),
        }),
      )
  }
  return lines
}

async function dryRun(
  file: string,
  count: number,
  chunkBytes: number,
  format: ReplayFormat = {kind: 'json'},
  tablesFirst = false,
) {
  const loaded = await loadConfig(undefined, {})
  const out = new GoldenLines()
  const explained = new GoldenLines()
  const reported = new GoldenLines()
  const fileCounts = new Map<string, FileCounts>()
  try {
    const summary = await replayDryRun({
      files: [file],
      topology: await buildTopology(loaded),
      format,
      out,
      explainOut: explained,
      reportOut: reported,
      fileCounts,
      threads: {config: loaded, count},
      chunkBytes,
      tablesFirst,
    })
    return {
      lines: out.lines,
      explained: explained.lines,
      reported: reported.lines,
      fileCounts,
      summary: summary.toJSON(),
    }
  } catch (error) {
    return {
      lines: out.lines,
      explained: explained.lines,
      reported: reported.lines,
      fileCounts,
      error: (error as Error).message,
    }
  }
}

describe('replay --dry-run on several threads', () => {
  // Chunk 0 is the two table lines, so helper 1 runs nothing but them, and helper 2's first
  // chunk alerts only if it was told of them.
  const {head, body} = fixture(60)
  const chunkBytes = head.join('\n').length + 1
  const file = path.join(dir, 'tables-all-through.jsonl')
  writeFileSync(file, [...head, ...body].join('\n') + '\n')

  it('produces what one thread does, record for record, with the same counts', async () => {
    const one = await dryRun(file, 1, chunkBytes)
    // Table changes decide what the events come to: alerts to several users, and drops.
    const channels = new Set(
      one.lines.filter((l) => l.includes('"slack-messages"')).map((l) => JSON.parse(l).value.channel),
    )
    expect(channels.size).toBeGreaterThan(5)
    expect(JSON.stringify(one.summary)).toMatch(/"unassigned":\d+/)
    expect(JSON.stringify(one.summary)).toMatch(/"no-slack-user":\d+/)

    for (const count of [2, 3]) {
      const many = await dryRun(file, count, chunkBytes)
      expect(many.lines).toEqual(one.lines)
      expect(many.summary).toEqual(one.summary)
    }
  })

  it('explains every record the same, in file order, whatever the thread count', async () => {
    const jsonFates: ReplayFormat = {kind: 'json', explain: {json: true}, report: true}
    const one = await dryRun(file, 1, chunkBytes, jsonFates)
    const fates = one.explained.map((l) => JSON.parse(l))
    expect(fates.map((f) => f.line)).toEqual([...fates.map((f) => f.line)].sort((a, b) => a - b))
    expect(new Set(fates.map((f) => f.fate))).toEqual(
      new Set(['table', 'alerted', 'unassigned', 'no-slack-user', 'dead-letter']),
    )
    expect(one.reported.length).toBe(fates.length)
    expect(one.fileCounts.get(file)).toEqual({records: head.length + body.length, unread: 0})
    const human: ReplayFormat = {kind: 'human', colorLevel: 0, explain: {json: false, colorLevel: 0}}
    const humanOne = await dryRun(file, 1, chunkBytes, human)
    expect(humanOne.explained).toEqual([])
    expect(humanOne.lines.join('\n')).toMatch(/tables-all-through\.jsonl:3 {2}connector-provisioning-failed {2}alerted/)
    for (const count of [2, 3]) {
      const many = await dryRun(file, count, chunkBytes, jsonFates)
      expect(many.explained).toEqual(one.explained)
      expect(many.reported).toEqual(one.reported)
      expect(many.fileCounts).toEqual(one.fileCounts)
      expect((await dryRun(file, count, chunkBytes, human)).lines).toEqual(humanOne.lines)
    }
  })

  it('with the tables first, produces the same on any number of threads, and not what file order does', async () => {
    const one = await dryRun(file, 1, chunkBytes, {kind: 'json'}, true)
    expect(one.lines).not.toEqual((await dryRun(file, 1, chunkBytes)).lines)
    for (const count of [2, 3]) expect(await dryRun(file, count, chunkBytes, {kind: 'json'}, true)).toEqual(one)
  })

  it('stops at a bad line a helper met, after writing what came before it', async () => {
    const bad = path.join(dir, 'bad-line.jsonl')
    const lines = [
      ...head,
      ...body.slice(0, 200),
      '{"topic": "data-notifications-pipeline", "key": ',
      ...body.slice(200),
    ]
    writeFileSync(bad, lines.join('\n') + '\n')
    const one = await dryRun(bad, 1, chunkBytes)
    expect(one.error).toMatch(`${bad}:203: not valid JSON: `)
    expect(one.lines.length).toBeGreaterThan(10)
    const three = await dryRun(bad, 3, chunkBytes)
    expect(three).toEqual(one)
  })

  it('keeps incidents and histories across chunks: the same updates, resolutions and counts on any number of threads', async () => {
    const lines = statefulFixture(400)
    const stateful = path.join(dir, 'stateful.jsonl')
    writeFileSync(stateful, lines.join('\n') + '\n')
    // Chunks of a few lines each: every incident spans chunks other threads run.
    const small = Math.ceil(Buffer.byteLength(lines.join('\n')) / 60)
    const one = await dryRun(stateful, 1, small)
    const revisions = one.lines.map((l) => JSON.parse(l).value.revision).filter((r) => r !== undefined)
    expect(Math.max(...revisions)).toBeGreaterThan(3)
    expect(one.lines.some((l) => l.includes('Resolved at'))).toBe(true)
    expect(one.lines.some((l) => l.includes('4th cluster'))).toBe(true)
    const counts = (one.summary as {pipelines: Record<string, {incidents?: number; resolved?: number}>}).pipelines
    expect(counts['connector-provisioning-failed']!.incidents).toBeGreaterThan(4)
    expect(counts['connector-provisioning-failed']!.resolved).toBeGreaterThan(4)
    for (const count of [2, 3]) {
      const many = await dryRun(stateful, count, small)
      expect(many.lines).toEqual(one.lines)
      expect(many.summary).toEqual(one.summary)
    }
  })
})
