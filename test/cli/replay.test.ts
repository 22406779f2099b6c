import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {root, runFa} from '../support/cli.js'

const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const golden = path.join(root, 'fixtures/provisioning.expected.jsonl')
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-replay-'))

describe('fa replay --dry-run', () => {
  it('renders alerts for people and ends with a summary', async () => {
    const {code, stdout, stderr} = await runFa(['replay', fixture, '--dry-run'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(stdout).toContain('▶ connector-provisioning-failed → U01JANEDOE')
    expect(stdout).toContain('Connector failed to provision: orders-postgres-cdc')
    expect(stdout).toContain('Organization: Acme Logistics (org-1001)')
    expect(stdout).toMatch(
      /✗ dead letter provisioning\.jsonl:13 connector-provisioning-failed: value is not valid JSON/,
    )
    expect(stdout).toMatch(
      /29 records: 7 alerts, 6 incidents opened, 3 updates, 1 resolved, 5 dead letters, 1 filtered, 2 unassigned, 1 no-slack-user, 1 no-open-incident/,
    )
    // The fixture's repeats and recovery (lines 24-29): an update, the resolution, a new incident.
    expect(stdout).toMatch(/↻ update, revision 1 of connector-provisioning-failed → U01JANEDOE {2}(fa-124b\S+)/)
    expect(stdout).toMatch(/✓ resolved, revision 2 of connector-provisioning-failed → U01JANEDOE {2}fa-124b/)
    expect(stdout).toContain('Resolved at 2026-11-24T11:30:00.000Z, now Running.')
    expect(stdout).not.toContain('\u001B[')
  })

  it('--json prints only JSON Lines envelopes on stdout, the summary on stderr', async () => {
    const {code, stdout, stderr} = await runFa(['replay', fixture, '--dry-run', '--json'])
    expect(code).toBe(0)
    const records = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records.map((r) => r.topic)).toEqual([
      'slack-messages',
      'slack-messages',
      'fa-dead-letters',
      'fa-dead-letters',
      'fa-dead-letters',
      'slack-messages',
      'slack-messages',
      'fa-dead-letters',
      'slack-messages',
      'fa-dead-letters',
      'slack-messages',
      'slack-messages',
      'slack-messages',
      'slack-messages',
      'slack-messages',
    ])
    // Repeats and the recovery update the first alert: same key and alert id, the next revision.
    expect(
      records.slice(10).map((r) => [r.key === records[0].key, r.value.revision, r.headers['fa-revision']]),
    ).toEqual([
      [true, 1, '1'],
      [true, 2, '2'],
      [false, undefined, undefined],
      [false, undefined, undefined],
      [false, 1, '1'],
    ])
    const malformed = records[2]
    expect(malformed).toMatchObject({
      key: 'org-1004',
      value: '{oops',
      headers: {'fa-source-line': '13', 'fa-source-topic': 'data-notifications-pipeline'},
    })
    expect(records[0].value).toMatchObject({channel: 'U01JANEDOE', alertId: records[0].key})
    expect(stderr).toMatch(/7 alerts, 6 incidents opened, 3 updates, 1 resolved, 5 dead letters/)
  })

  it('--expect passes on the shipped golden file', async () => {
    const {code, stderr} = await runFa(['replay', fixture, '--dry-run', '--expect', golden])
    expect(stderr).toContain('15 records match')
    expect(code).toBe(0)
  })

  it('--expect fails with a readable diff, and --update rewrites the golden file', async () => {
    const dir = tmp()
    const changed = path.join(dir, 'expected.jsonl')
    writeFileSync(changed, readFileSync(golden, 'utf8').replace('"U01JANEDOE"', '"U99SOMEONE"'))
    const failed = await runFa(['replay', fixture, '--dry-run', '--expect', changed])
    expect(failed.code).toBe(1)
    // Only the changed field, under a header saying which record it is.
    expect(failed.stderr).toContain(
      '~ changed     connector-provisioning-failed → U01JANEDOE from provisioning.jsonl:8 fa-124b060fd15f6b7fbaf1b8363a1ccb83\n' +
        '    value.channel: "U99SOMEONE" → "U01JANEDOE"\n✗ 1 record differs from',
    )
    expect(failed.stderr).toContain('(1 changed); run with --update to accept')

    const updated = await runFa(['replay', fixture, '--dry-run', '--expect', changed, '--update'])
    expect(updated.code).toBe(0)
    expect(readFileSync(changed, 'utf8')).toBe(readFileSync(golden, 'utf8'))
  })

  it('matches records by identity: a missing or extra record is one line, the rest still match', async () => {
    const dir = tmp()
    const edited = path.join(dir, 'expected.jsonl')
    const lines = readFileSync(golden, 'utf8').trimEnd().split('\n')
    // The first record gone, an alert no run produces added at the end.
    const stranger = lines[0]!.replaceAll('fa-124b060fd15f6b7fbaf1b8363a1ccb83', 'fa-0000')
    writeFileSync(edited, [...lines.slice(1), stranger].join('\n') + '\n')
    const {code, stderr} = await runFa(['replay', fixture, '--dry-run', '--expect', edited])
    expect(code).toBe(1)
    const diff = stderr.slice(stderr.indexOf('\n- ') + 1)
    expect(diff).toBe(
      '- missing     connector-provisioning-failed → U01JANEDOE from provisioning.jsonl:8 fa-0000\n' +
        '+ unexpected  connector-provisioning-failed → U01JANEDOE from provisioning.jsonl:8 fa-124b060fd15f6b7fbaf1b8363a1ccb83\n' +
        `✗ 2 records differ from ${edited} (1 missing, 1 unexpected); run with --update to accept\n`,
    )
  })

  it.each([
    ['{"topic":"t"}\nnot json\n', 2, /not valid JSON/],
    ['\n{"key":"k","value":{}}\n', 2, /topic/],
    ['{"topic":"t","key":5}\n', 1, /key: /],
  ])('fails on a bad fixture line with FILE:LINE', async (content, line, reason) => {
    const file = path.join(tmp(), 'bad.jsonl')
    writeFileSync(file, content)
    const {code, stderr} = await runFa(['replay', file, '--dry-run'])
    expect(code).toBe(3)
    expect(stderr.split('\n')[0]).toMatch(new RegExp(`^Error: ${file.replaceAll('/', '\\/')}:${line}: `))
    expect(stderr).toMatch(reason)
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it('names a missing file', async () => {
    const {code, stderr} = await runFa(['replay', 'nope.jsonl', '--dry-run'])
    expect(code).toBe(3)
    expect(stderr).toMatch(/^Error: nope\.jsonl: cannot read fixture \(ENOENT\)/)
  })

  it('reads several files in order, tables from the first feeding events in the second', async () => {
    const dir = tmp()
    const tables = path.join(dir, 'tables.jsonl')
    const events = path.join(dir, 'events.jsonl')
    const lines = readFileSync(fixture, 'utf8').trimEnd().split('\n')
    writeFileSync(tables, lines.slice(0, 7).join('\n') + '\n')
    writeFileSync(events, lines[7] + '\n')
    const {code, stdout} = await runFa(['replay', tables, events, '--dry-run', '--json'])
    expect(code).toBe(0)
    expect(JSON.parse(stdout).value.channel).toBe('U01JANEDOE')
  })

  it.each([[[]], [['--json']]])('--workers 3 prints what one thread prints %j', async (format) => {
    const one = await runFa(['replay', fixture, '--dry-run', ...format, '--workers', '1'])
    const three = await runFa(['replay', fixture, '--dry-run', ...format, '--workers', '3'])
    expect(one.code).toBe(0)
    expect(one.stdout + one.stderr).toMatch(/7 alerts/)
    expect(three).toEqual(one)
  })

  it('--workers wants a count of 1 or more, and a dry run', async () => {
    expect((await runFa(['replay', fixture, '--dry-run', '--workers', '0'])).stderr).toMatch(
      /Expected an integer greater than or equal to 1/,
    )
    expect((await runFa(['replay', fixture, '--workers', '2'])).stderr).toMatch(
      /must be provided when using --workers: --dry-run/,
    )
  })

  // As the README writes it: 'fa' and 'zod' by name, from a directory with no node_modules of its own.
  it.each([['1'], ['2']])(
    'runs a user-defined alert type from a module named in the config (--workers %s)',
    async (workers) => {
      const dir = tmp()
      const config = path.join(dir, 'fa.config.yaml')
      writeFileSync(
        path.join(dir, 'big-deal.mjs'),
        `
import {stream, md, assignments, slackUsers, assigneeContext} from 'fa'
import {z} from 'zod'
export default stream('big-deal', 'deals')
  .filter(({event}) => event.amount > 100000)
  .validate(z.looseObject({amount: z.number()}))
  .selectKey(({record}) => record.key, 'org id')
  .join(assignments, ({key}) => key, 'assignment', 'unassigned')
  .join(slackUsers, ({assignment}) => assignment.csdrEmail, 'slackUser', 'no-slack-user')
  .message(({event, key, assignment, slackUser}) => ({recipient: slackUser.slackUserId, header: 'Big deal', text: md\`\${key} signed \${event.amount}\`, context: [assigneeContext(assignment, key)]}))
  .to('slackMessages')
`,
      )
      writeFileSync(config, 'alerts:\n  builtIn: []\n  modules: [./big-deal.mjs]\ntopics:\n  deals: crm-deals\n')
      const events = path.join(dir, 'deals.jsonl')
      const lines = readFileSync(fixture, 'utf8').trimEnd().split('\n').slice(0, 7)
      lines.push(
        '{"topic":"crm-deals","key":"org-1001","value":{"amount":250000}}',
        '{"topic":"crm-deals","key":"org-1001","value":{"amount":5}}',
      )
      writeFileSync(events, lines.join('\n'))
      const {code, stdout, stderr} = await runFa([
        'replay',
        events,
        '--dry-run',
        '--json',
        '--config',
        config,
        '--workers',
        workers,
      ])
      expect(stderr).toMatch(/big-deal\s+2\s+1\s+1/)
      expect(code).toBe(0)
      const alert = JSON.parse(stdout).value
      expect(alert).toMatchObject({channel: 'U01JANEDOE', text: 'org-1001 signed 250000'})
      expect(alert.blocks.at(-1).elements[0].text).toBe('Sent to Jane Doe as the account team member for org-1001.')
    },
  )

  it('names the bad key of a config file', async () => {
    const config = path.join(tmp(), 'fa.config.yaml')
    writeFileSync(config, 'slack:\n  perChannelPerSecond: fast\n')
    const {code, stderr} = await runFa(['replay', fixture, '--dry-run', '--config', config])
    expect(code).toBe(2)
    expect(stderr).toMatch(/config key "slack\.perChannelPerSecond"/)
  })
})
