// `fa produce NAME` end to end (the built CLI, the BigQuery REST test server with the real client
// and ADC, the real test broker): events, pages, deterministic ids, and what stops a run before it starts.
import {readFileSync, writeFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {recordCount} from '../../support/kafka-io.js'
import {
  at,
  idOf,
  javaPartition,
  json,
  kafka,
  onboardingTable,
  produceHarness,
  setup,
  starts,
} from '../../support/produce.js'

const h = produceHarness()

describe('fa produce: events', () => {
  it('publishes one event per row with key, deterministic id and value; a bad row is dead-lettered', async () => {
    const t = await setup(h, 'events')
    const bad = {org_id: '', org_name: 'No Id', plan: null, region: null, started_at: new Date(at('10:05'))}
    h.bigquery.setHandler(onboardingTable({rows: [...starts, bad]}))

    const summary = json(
      await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']),
    )
    expect(summary).toMatchObject({
      producer: 'onboarding',
      rows: 4,
      events: 3,
      deadLetters: 1,
      topic: t.topic,
      window: {since: '2024-05-01T10:00:00.000Z', until: '2024-05-01T10:30:00.000Z'},
      bytesProcessed: 5_000_000,
      jobId: expect.stringMatching(/^fa_onboarding_/),
      durationMs: expect.any(Number),
      checkpoint: {previous: null, current: '2024-05-01T10:30:00.000Z', advanced: true},
    })
    // The documented summary fields come first, in this order.
    expect(Object.keys(summary).slice(0, 9)).toEqual([
      'producer',
      'rows',
      'events',
      'deadLetters',
      'topic',
      'window',
      'bytesProcessed',
      'jobId',
      'durationMs',
    ])

    const consumed = await t.consume(3)
    expect(await recordCount(kafka, [t.topic])).toBe(3)
    const byKey = new Map(consumed.map((c) => [c.message.key!.toString(), c]))
    expect([...byKey.keys()].sort()).toEqual(['org-1', 'org-2', 'org-3'])
    for (const row of starts.slice(0, 3)) {
      const {partition, message} = byKey.get(row.org_id)!
      expect(partition).toBe(javaPartition(row.org_id, 3))
      expect(JSON.parse(message.value!.toString())).toEqual({
        eventId: idOf(row),
        eventType: 'onboarding_started',
        orgId: row.org_id,
        orgName: row.org_name,
        plan: row.plan,
        region: 'eu-west',
        startedAt: row.started_at.toISOString(),
      })
      expect(message.headers?.['fa-producer']?.toString()).toBe('onboarding')
      expect(message.headers?.['fa-job-id']?.toString()).toBe(summary.jobId)
    }

    const [dead] = await t.consume(1, t.deadLetters)
    expect(await recordCount(kafka, [t.deadLetters])).toBe(1)
    const headers = Object.fromEntries(Object.entries(dead!.message.headers ?? {}).map(([k, v]) => [k, String(v)]))
    expect(headers).toMatchObject({
      'fa-error': expect.stringMatching(/^producer "onboarding": row org_id: /),
      'fa-producer': 'onboarding',
      'fa-job-id': summary.jobId,
      // Row 2 of the result: the query orders by started_at.
      'fa-row': '2',
      'fa-window-since': '2024-05-01T10:00:00.000Z',
      'fa-window-until': '2024-05-01T10:30:00.000Z',
    })
    expect(JSON.parse(dead!.message.value!.toString())).toEqual({
      org_id: '',
      org_name: 'No Id',
      plan: null,
      region: null,
      started_at: '2024-05-01T10:05:00.000Z',
    })
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')
  })

  it('reads every page of a multi-page result, and a human summary by default', async () => {
    const t = await setup(h, 'pages')
    const result = await t.fa([
      'produce',
      'onboarding',
      '--since',
      at('09:00'),
      '--until',
      at('12:00'),
      '--page-size',
      '2',
    ])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(`^produced 7 events from 7 rows of onboarding to ${t.topic.replaceAll('.', '\\.')}$`, 'm'),
    )
    expect(result.stdout).toMatch(/^ {2}checkpoint {2}advanced to 2024-05-01T12:00:00\.000Z$/m)
    const pages = h.bigquery.requests.filter((r) => r.route === 'jobs.getQueryResults')
    expect(pages.map((r) => r.query.maxResults)).toEqual(['2', '2', '2', '2'])
    expect(pages.filter((r) => r.query.pageToken)).toHaveLength(3)
    const consumed = await t.consume(7)
    expect(new Set(consumed.map((c) => c.message.key!.toString()))).toEqual(new Set(starts.map((s) => s.org_id)))
  })

  it('overlapping windows and a repeated run produce the same event ids', async () => {
    const t = await setup(h, 'overlap')
    const first = json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:40'), '--json']))
    const second = json(await t.fa(['produce', 'onboarding', '--since', at('10:20'), '--until', at('11:00'), '--json']))
    const again = json(await t.fa(['produce', 'onboarding', '--since', at('10:20'), '--until', at('11:00'), '--json']))
    expect([first.events, second.events, again.events]).toEqual([4, 4, 4])
    // The second run continues the first: the checkpoint moves; the repeat leaves it.
    expect(second.checkpoint).toMatchObject({
      previous: '2024-05-01T10:40:00.000Z',
      current: '2024-05-01T11:00:00.000Z',
      advanced: true,
    })
    expect(again.checkpoint).toMatchObject({current: '2024-05-01T11:00:00.000Z', advanced: false})

    const consumed = await t.consume(12)
    const ids = new Map<string, Set<string>>()
    for (const {message} of consumed) {
      const key = message.key!.toString()
      ids.set(key, (ids.get(key) ?? new Set()).add(JSON.parse(message.value!.toString()).eventId))
    }
    // org-1 … org-6, each with one id however often it was produced.
    expect([...ids.keys()].sort()).toEqual(['org-1', 'org-2', 'org-3', 'org-4', 'org-5', 'org-6'])
    for (const row of starts.slice(0, 6)) expect([...ids.get(row.org_id)!]).toEqual([idOf(row)])
    expect(consumed.filter((c) => c.message.key!.toString() === 'org-3')).toHaveLength(3)
  })

  it('missing credentials: exit 4 with a one-line fix; nothing produced, no checkpoint', async () => {
    const t = await setup(h, 'credentials')
    const result = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30')], {
      GOOGLE_APPLICATION_CREDENTIALS: '',
    })
    expect(result.code).toBe(4)
    expect(result.stderr).toBe(
      'Error: no Google credentials found for BigQuery (run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file)\n',
    )
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })

  it('a topic that does not exist: exit 5 before any query', async () => {
    const t = await setup(h, 'missing-topic')
    writeFileSync(
      t.configFile,
      readFileSync(t.configFile, 'utf8').replace(`onboarding: ${t.topic}`, `onboarding: ${t.topic}-missing`),
    )
    const result = await t.fa(['produce', 'onboarding', '--since', '1h'])
    expect(result.code).toBe(5)
    expect(result.stderr).toMatch(
      new RegExp(
        `^Error: topic ${t.topic.replaceAll('.', '\\.')}-missing does not exist on \\S+; nothing was queried or produced \\(create them first`,
      ),
    )
    expect(h.bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(0)
  })
}, 60_000)
