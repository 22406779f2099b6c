import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'

const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const golden = path.join(root, 'fixtures/provisioning.expected.jsonl')
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-explain-'))

describe('fa replay --dry-run --explain', () => {
  it("tells every record's fate with its FILE:LINE, between the alerts", async () => {
    const {code, stdout} = await runFa(['replay', fixture, '--dry-run', '--explain'])
    expect(code).toBe(0)
    const fates = stdout.split('\n').filter((line) => line.startsWith('provisioning.jsonl:'))
    expect(fates).toHaveLength(29)
    expect(fates[0]).toBe('provisioning.jsonl:1  slack-users  table: upsert "jane.doe@example.com"')
    expect(fates[7]).toBe(
      'provisioning.jsonl:8  connector-provisioning-failed  alerted  → U01JANEDOE  fa-124b060fd15f6b7fbaf1b8363a1ccb83',
    )
    expect(fates[8]).toMatch(/^provisioning\.jsonl:9 {2}connector-provisioning-failed {2}filtered: by step 1: filter\(/)
    expect(fates[10]).toBe(
      'provisioning.jsonl:11  connector-provisioning-failed  unassigned: assignments has no row for "org-9999"',
    )
    // The lookup is shown normalized, as the table matches it.
    expect(fates[11]).toBe(
      'provisioning.jsonl:12  connector-provisioning-failed  no-slack-user: slack-users has no row for "sam.nobody@example.com"',
    )
    expect(fates[12]).toMatch(
      /^provisioning\.jsonl:13 {2}connector-provisioning-failed {2}dead-letter: value is not valid JSON/,
    )
    // A fate comes right before what the record produced.
    expect(stdout).toContain(`${fates[7]}\n▶ connector-provisioning-failed → U01JANEDOE`)
  })

  it('--only shows just the fates named', async () => {
    const {code, stdout} = await runFa(['replay', fixture, '--dry-run', '--only', 'unassigned,no-slack-user'])
    expect(code).toBe(0)
    expect(stdout.split('\n').filter((line) => line.startsWith('provisioning.jsonl:'))).toEqual([
      'provisioning.jsonl:11  connector-provisioning-failed  unassigned: assignments has no row for "org-9999"',
      'provisioning.jsonl:12  connector-provisioning-failed  no-slack-user: slack-users has no row for "sam.nobody@example.com"',
      'provisioning.jsonl:18  connector-provisioning-failed  unassigned: assignments has no row for "org-1004"',
    ])
  })

  it('--only names a misspelt fate with a did-you-mean', async () => {
    const {code, stderr} = await runFa(['replay', fixture, '--dry-run', '--only', 'unasigned'])
    expect(code).toBe(2)
    expect(stderr).toContain('--only unasigned: no such fate; did you mean unassigned?')
  })

  it('with --json, fates are JSON Lines on stderr, or in --explain-file', async () => {
    const {code, stdout, stderr} = await runFa(['replay', fixture, '--dry-run', '--json', '--only', 'dead-letter'])
    expect(code).toBe(0)
    const fates = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line))
    expect(fates.map((f) => f.line)).toEqual([13, 14, 15, 21, 23])
    expect(fates[0]).toMatchObject({
      file: 'provisioning.jsonl',
      line: 13,
      topic: 'data-notifications-pipeline',
      key: 'org-1004',
      pipeline: 'connector-provisioning-failed',
      fate: 'dead-letter',
      detail: expect.stringMatching(/^value is not valid JSON/),
    })
    expect(stdout.trimEnd().split('\n')).toHaveLength(15)

    const file = path.join(tmp(), 'fates.jsonl')
    const apart = await runFa(['replay', fixture, '--dry-run', '--expect', golden, '--explain-file', file])
    expect(apart.code).toBe(0)
    expect(apart.stderr).not.toContain('"fate"')
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(29)
    expect(JSON.parse(lines[7]!)).toMatchObject({line: 8, fate: 'alerted', recipient: 'U01JANEDOE'})
  })

  it('--explain-file writes the fates there also without --json, and --expect puts them on stderr as JSON Lines', async () => {
    const file = path.join(tmp(), 'fates.jsonl')
    const human = await runFa(['replay', fixture, '--dry-run', '--explain-file', file])
    expect(human.code).toBe(0)
    expect(human.stdout).not.toContain('"fate"')
    expect(human.stdout).not.toMatch(/^provisioning\.jsonl:\d+ /m)
    expect(human.stdout).toContain('▶ connector-provisioning-failed → U01JANEDOE')
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n')
    expect(lines).toHaveLength(29)
    expect(JSON.parse(lines[10]!)).toMatchObject({line: 11, fate: 'unassigned'})

    const ci = await runFa(['replay', fixture, '--dry-run', '--expect', golden, '--only', 'unassigned'])
    expect(ci.code).toBe(0)
    const fates = ci.stderr.split('\n').filter((line) => line.startsWith('{'))
    expect(fates.map((line) => JSON.parse(line).line)).toEqual([11, 18])
  })

  // Exit 1 means "differences" to CI: an output file that cannot be written is a usage error, named before the run.
  it.each([
    ['--explain-file', 'fates.jsonl'],
    ['--html', 'report.html'],
    ['--expect', 'golden.jsonl', '--update'],
  ])('%s into a directory that does not exist fails at once, naming the file', async (flag, name, ...more) => {
    const file = path.join(tmp(), 'missing', name)
    const {code, stdout, stderr} = await runFa(['replay', fixture, '--dry-run', flag, file, ...more])
    expect(stderr).toContain(`Error: ${flag} ${file}: cannot write it (no such directory:`)
    expect(stderr).not.toMatch(/unexpected error|\n\s+at /)
    expect(code).toBe(2)
    expect(stdout).toBe('')
  })

  it('--verbose explains and links each alert to the Block Kit Builder', async () => {
    const {code, stdout} = await runFa(['replay', fixture, '--dry-run', '--verbose'])
    expect(code).toBe(0)
    expect(stdout).toContain('provisioning.jsonl:11  connector-provisioning-failed  unassigned')
    const link = stdout.match(/Block Kit Builder: (\S+)/)![1]!
    expect(link.startsWith('https://app.slack.com/block-kit-builder#')).toBe(true)
    const {blocks} = JSON.parse(decodeURIComponent(link.slice(link.indexOf('#') + 1)))
    expect(blocks[0]).toEqual({
      type: 'header',
      text: {type: 'plain_text', text: 'Connector failed to provision: orders-postgres-cdc', emoji: true},
    })
  })
})

describe('fa replay --dry-run: what went unread', () => {
  it('names each topic no pipeline reads, with its count and a did-you-mean', async () => {
    const dir = tmp()
    const file = path.join(dir, 'typo.jsonl')
    const typo = JSON.stringify({topic: 'data-notifcations-pipeline', key: 'org-1', value: {eventId: 'e'}})
    const cut = JSON.stringify({topic: 'data-notifications', key: 'org-1', value: {eventId: 'e'}})
    writeFileSync(file, `${readFileSync(fixture, 'utf8')}${typo}\n${typo}\n${cut}\n`)
    const {code, stdout} = await runFa(['replay', file, '--dry-run'])
    expect(code).toBe(0)
    expect(stdout).toContain(
      'warning: 2 records on `data-notifcations-pipeline`, which no enabled alert type reads: neither the config nor the alert types know it; did you mean `data-notifications-pipeline`?',
    )
    expect(stdout).toContain(
      'warning: 1 record on `data-notifications`, which no enabled alert type reads: neither the config nor the alert types know it; did you mean `data-notifications-pipeline`?',
    )
  })

  it('suggests the default name of a topic the config renames, as fixtures may use it', async () => {
    const dir = tmp()
    const config = path.join(dir, 'fa.config.yaml')
    writeFileSync(config, 'topics:\n  onboarding: dev.data-onboarding-events\n')
    const file = path.join(dir, 'typo.jsonl')
    writeFileSync(file, JSON.stringify({topic: 'data-onboarding-event', key: 'org-1', value: {eventId: 'e'}}) + '\n')
    const {code, stdout} = await runFa(['replay', file, '--dry-run', '--config', config])
    expect(code).toBe(0)
    expect(stdout).toContain(
      'warning: 1 record on `data-onboarding-event`, which no enabled alert type reads: neither the config nor the alert types know it; did you mean `data-onboarding-events`?',
    )
  })

  it('says when a topic the config names has no enabled alert type', async () => {
    const dir = tmp()
    const config = path.join(dir, 'fa.config.yaml')
    writeFileSync(config, 'alerts:\n  builtIn: [connector-provisioning-failed]\n')
    const {code, stdout} = await runFa(['replay', fixture, '--dry-run', '--config', config])
    expect(code).toBe(0)
    expect(stdout).toContain(
      'warning: 1 record on `data-onboarding-events`, which no enabled alert type reads: the config names it as its onboarding topic, which no enabled alert type reads',
    )
  })

  it('with --expect, an empty file or one whose records all go unread fails, and says so', async () => {
    const dir = tmp()
    const empty = path.join(dir, 'empty.jsonl')
    writeFileSync(empty, '\n\n')
    const expected = path.join(dir, 'empty.expected.jsonl')
    writeFileSync(expected, '')
    const none = await runFa(['replay', empty, '--dry-run', '--expect', expected])
    expect(none.stderr).toContain(`warning: ${empty} holds no records`)
    expect(none.code).toBe(1)

    const missing = path.join(dir, 'miss.jsonl')
    writeFileSync(missing, JSON.stringify({topic: 'nowhere', value: {}}) + '\n')
    const miss = await runFa(['replay', missing, '--dry-run', '--expect', expected])
    expect(miss.stderr).toContain(
      `warning: ${missing}: its one record is on topics no enabled alert type or table reads`,
    )
    expect(miss.code).toBe(1)
    // Without --expect it is a warning only.
    expect((await runFa(['replay', missing, '--dry-run'])).code).toBe(0)
  })
})

describe('fa replay --dry-run: topics through the config', () => {
  it('reads a default topic name or a logical role as the topic the config names', async () => {
    const dir = tmp()
    const config = path.join(dir, 'fa.config.yaml')
    writeFileSync(config, 'topics:\n  notifications: dev.data-notifications-pipeline\n  assignments: dev.assignments\n')
    // Default names as written, and the assignments table by its role.
    const file = path.join(dir, 'f.jsonl')
    writeFileSync(file, readFileSync(fixture, 'utf8').replaceAll('"data-csdr-assignment"', '"assignments"'))
    const {code, stdout} = await runFa(['replay', file, '--dry-run', '--config', config])
    expect(code).toBe(0)
    expect(stdout).toMatch(
      /29 records: 7 alerts, 6 incidents opened, 3 updates, 1 resolved, 5 dead letters, 1 filtered, 2 unassigned, 1 no-slack-user, 1 no-open-incident\n/,
    )
    expect(stdout).not.toContain('warning')
  })
})

describe('fa replay --dry-run --tables-first', () => {
  it('loads every table record before the events, as fa enrich will after a replay into Kafka', async () => {
    const fates = async (args: string[]) =>
      (await runFa(['replay', fixture, '--dry-run', '--only', 'alerted,no-slack-user', ...args])).stdout
        .split('\n')
        .filter((line) => line.startsWith('provisioning.jsonl:12 '))
    // Line 12 comes before line 19 reassigns org-1003 to a user Slack knows.
    expect(await fates([])).toEqual([
      'provisioning.jsonl:12  connector-provisioning-failed  no-slack-user: slack-users has no row for "sam.nobody@example.com"',
    ])
    expect(await fates(['--tables-first'])).toEqual([
      'provisioning.jsonl:12  connector-provisioning-failed  alerted  → U03LIWEI  fa-0619e58b609815a547078b41ccb4cc32',
    ])
    // Table records still tell their fate, and the bad one is still a dead letter.
    const {stdout} = await runFa(['replay', fixture, '--dry-run', '--tables-first', '--workers', '2'])
    expect(stdout).toMatch(
      /29 records: 6 alerts, 5 incidents opened, 4 updates, 1 resolved, 5 dead letters, 1 filtered, 3 unassigned, 1 no-open-incident\n/,
    )
  })
})
