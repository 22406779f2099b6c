// `fa produce --since checkpoint`: resuming where the last good run ended, a failed or dropped
// results page leaving the checkpoint, and the grace that catches rows loaded late.
import {readFileSync, writeFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {recordCount} from '../../support/kafka-io.js'
import {
  at,
  idOf,
  json,
  kafka,
  onboardingTable,
  pageFailed,
  produceHarness,
  setup,
  starts,
} from '../../support/produce.js'

const h = produceHarness()

describe('fa produce: checkpoints', () => {
  it('--since checkpoint resumes exactly where the last successful run ended; a failed run leaves it', async () => {
    const t = await setup(h, 'checkpoint')
    const none = await t.fa(['produce', 'onboarding', '--since', 'checkpoint'])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(
      /^Error: producer "onboarding" has no checkpoint in \S+checkpoints yet \(run it once with an explicit --since/,
    )
    expect(h.bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(0)

    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    // The next run fails reading page 2, after page 1 (org-4, org-5) was produced.
    h.proxy.failPagesAfter = 1
    const next = ['produce', 'onboarding', '--since', 'checkpoint', '--grace', '0', '--until', at('11:10')]
    const failed = await t.fa([...next, '--page-size', '2'])
    expect(failed.code).toBe(4)
    expect(failed.stderr).toMatch(pageFailed('Not found: Job \\S+'))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    h.proxy.failPagesAfter = undefined
    const resumed = json(await t.fa([...next, '--page-size', '2', '--json']))
    expect(resumed.window).toEqual({since: '2024-05-01T10:30:00.000Z', until: '2024-05-01T11:10:00.000Z'})
    expect(resumed.events).toBe(4)
    expect(resumed.checkpoint).toMatchObject({
      previous: '2024-05-01T10:30:00.000Z',
      current: '2024-05-01T11:10:00.000Z',
      advanced: true,
    })
    expect(await t.checkpoint()).toBe('2024-05-01T11:10:00.000Z')

    // No gap: every start is on the topic, the repeats of the failed run with the same ids.
    const consumed = await t.consume(3 + 2 + 4)
    expect(await recordCount(kafka, [t.topic])).toBe(9)
    const seen = consumed.map(({message}) => JSON.parse(message.value!.toString()) as {orgId: string; eventId: string})
    expect(new Set(seen.map((e) => e.orgId))).toEqual(new Set(starts.map((s) => s.org_id)))
    for (const event of seen) expect(event.eventId).toBe(idOf(starts.find((s) => s.org_id === event.orgId)!))

    // Caught up: nothing to query, success.
    const idle = json(await t.fa(['produce', 'onboarding', '--since', 'checkpoint', '--until', at('11:10'), '--json']))
    expect(idle).toMatchObject({
      rows: 0,
      events: 0,
      jobId: null,
      checkpoint: {advanced: false, current: '2024-05-01T11:10:00.000Z'},
    })
  })

  it('a dropped connection mid-results: one short line naming the page and the job, and the checkpoint stays', async () => {
    const t = await setup(h, 'dropped')
    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    h.proxy.failPagesAfter = 1
    h.proxy.drop = true
    const failed = await t.fa([
      'produce',
      'onboarding',
      '--since',
      'checkpoint',
      '--until',
      at('11:10'),
      '--page-size',
      '2',
    ])
    expect(failed.code).toBe(4)
    expect(failed.stderr).toMatch(pageFailed('[^;]+'))
    expect(failed.stderr.length).toBeLessThan(200)
    expect(failed.stderr).not.toMatch(/http|pageToken/)
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')
  })

  it('rows that reach BigQuery after a run are produced by the next one: it re-reads the grace before the checkpoint', async () => {
    const t = await setup(h, 'grace')
    const rows: Array<Record<string, unknown>> = [...starts]
    h.bigquery.setHandler(onboardingTable({rows}))
    json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json']))
    expect(await t.checkpoint()).toBe('2024-05-01T10:30:00.000Z')

    // Loaded after that run, with an event time a microsecond before its checkpoint.
    const late = {...starts[0]!, org_id: 'org-late', org_name: 'Late', started_at: '2024-05-01T10:29:59.999999Z'}
    rows.push(late)
    const next = json(await t.fa(['produce', 'onboarding', '--since', 'checkpoint', '--until', at('10:50'), '--json']))
    expect(next).toMatchObject({
      window: {since: '2024-05-01T10:15:00.000Z', until: '2024-05-01T10:50:00.000Z'},
      grace: '15m',
      // org-3 (10:20) again, with its id; org-late; org-4, org-5.
      events: 4,
      checkpoint: {advanced: true, current: '2024-05-01T10:50:00.000Z'},
    })
    const consumed = await t.consume(3 + 4)
    const keys = consumed.map((c) => c.message.key!.toString())
    expect(keys.filter((k) => k === 'org-late')).toHaveLength(1)
    expect(keys.filter((k) => k === 'org-3')).toHaveLength(2)

    // The grace per producer in the config, and --grace over it.
    writeFileSync(t.configFile, readFileSync(t.configFile, 'utf8') + 'producers:\n  grace:\n    onboarding: 1h\n')
    const configured = ['produce', 'onboarding', '--since', 'checkpoint', '--until', at('11:10'), '--dry-run', '--json']
    const fromConfig = await t.fa(configured)
    expect(fromConfig.stderr).toMatch(/window 2024-05-01T09:50:00\.000Z → 2024-05-01T11:10:00\.000Z/)
    const fromFlag = await t.fa([...configured, '--grace', '5m'])
    expect(fromFlag.stderr).toMatch(/window 2024-05-01T10:45:00\.000Z → /)
    const bad = await t.fa([...configured, '--grace', 'soon'])
    expect(bad.code).toBe(2)
    // With --json, the error is JSON too.
    expect(JSON.parse(bad.stderr).error.message).toMatch(/^--grace soon: expected a duration/)
    const explicit = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--grace', '5m', '--dry-run'])
    expect(explicit.code).toBe(2)
    expect(explicit.stderr).toMatch(/^Error: --grace applies only with --since checkpoint/)
  })
}, 60_000)
