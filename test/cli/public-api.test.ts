import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {root} from '../support/cli.js'

// The package as a user module gets it: by its name, through package.json `exports`, built.
const entry = import.meta.resolve('fa')
const api: Record<string, any> = await import(entry)

const table = (name: string) => ({name, topic: expect.any(String), schema: {safeParse: expect.any(Function)}})

/** Every name README.md tells users to import, with what it must be. */
const documented: Record<string, (value: any) => void> = {
  stream: (stream) => {
    const alert = stream('big-deal', 'deals')
      .selectKey(({record}: any) => record.key, 'org id')
      .join(api.assignments, {key: ({key}: any) => key, as: 'assignment', missing: 'unassigned'})
      .message(() => ({recipient: 'U1', header: 'Big deal', text: api.md`closed`}))
      .to('slackMessages')
    expect(alert).toMatchObject({name: 'big-deal', source: 'deals', sink: 'slackMessages', tables: [api.assignments]})
  },
  builtInAlerts: (alerts) =>
    expect(alerts.map((a: {name: string}) => a.name)).toEqual([
      'connector-provisioning-failed',
      'onboarding-started',
      'cluster-created',
    ]),
  md: (md) => {
    const text = md`*${'<!channel>'}*`
    expect(text).toBeInstanceOf(api.Mrkdwn)
    expect(text.text).toBe('*&lt;!channel&gt;*')
  },
  assignments: (assignments) => expect(assignments).toMatchObject(table('assignments')),
  slackUsers: (slackUsers) => expect(slackUsers).toMatchObject(table('slack-users')),
  assigneeContext: (assigneeContext) =>
    expect(assigneeContext({csdrEmail: 'jane@example.com', csdrName: 'Jane'}, 'org-1')).toBe(
      'Sent to Jane as the account team member for org-1.',
    ),
  defineTable: (defineTable) => {
    const spec = {name: 'deals', topic: 'deals', description: 'deals by id', schema: z.object({})}
    expect(defineTable(spec)).toBe(spec)
  },
  defineProducer: (defineProducer) => {
    const producer = defineProducer({
      name: 'deals',
      description: 'closed deals',
      sql: 'SELECT org_id FROM deals WHERE closed_at >= @since',
      params: ['since'],
      topic: 'deals',
      eventType: 'deal_closed',
      row: z.object({org_id: z.string()}),
      naturalKey: (row: {org_id: string}) => [row.org_id],
      toEvent: (row: {org_id: string}) => ({key: row.org_id, value: {orgId: row.org_id}}),
    })
    expect(producer.event({org_id: 'org-1'})).toMatchObject({
      ok: true,
      event: {key: 'org-1', value: {eventType: 'deal_closed', orgId: 'org-1'}},
    })
  },
}

describe('the public API (dist/index.js)', () => {
  it('is the built package', () => {
    expect(entry).toBe(pathToFileURL(path.join(root, 'dist/index.js')).href)
  })

  it('loads no Kafka, Slack or BigQuery client: every user alert module imports it', () => {
    const {status, stderr} = spawnSync(
      process.execPath,
      [
        '--import',
        path.join(root, 'test/support/trace-heavy-imports.mjs'),
        '--input-type=module',
        '-e',
        "import('fa')",
      ],
      {cwd: root, encoding: 'utf8'},
    )
    expect(status).toBe(0)
    expect(stderr).not.toContain('HEAVY-IMPORT')
  })

  it.each(Object.entries(documented))('exports %s', (name, check) => {
    expect(api[name]).toBeDefined()
    check(api[name])
  })
})
