// `fa produce --dry-run` (BigQuery's free estimate) and `--preview N` (the billed query, rows capped).
import {describe, expect, it} from 'vitest'

import {recordCount} from '../../support/kafka-io.js'
import {at, idOf, kafka, onboardingTable, produceHarness, setup, starts} from '../../support/produce.js'

const h = produceHarness()

describe('fa produce: dry runs', () => {
  it('--dry-run prints the free estimate only; --preview N runs the billed query and shows N rows; nothing is produced', async () => {
    const t = await setup(h, 'dry-run')
    const handler = onboardingTable()
    // The estimate is an upper bound; the real job processes less (and stays under the cap).
    h.bigquery.setHandler(async (sql, params, context) => ({
      ...(await handler(sql, params, context)),
      ...(context.dryRun ? {bytesProcessed: 2n ** 39n} : {}),
    }))

    const human = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--dry-run'])
    expect(human.stderr).toBe('')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(
      'BigQuery would process 549755813888 bytes (512.0 GiB): a run bills about $3.13 at $6.25/TiB (cap: 1000000000 bytes (953.7 MiB)); this estimate is free',
    )
    expect(human.stdout).not.toMatch(/^→ /m)
    expect(human.stdout).toMatch(/^dry run: estimate only; nothing was queried or produced/m)
    expect(h.bigquery.requests.filter((r) => r.route === 'jobs.insert')).toHaveLength(1)

    const window = ['--since', at('10:00'), '--until', at('10:30')]
    const preview = await t.fa(['produce', 'onboarding', ...window, '--preview', '2'])
    expect(preview.code).toBe(0)
    expect(preview.stdout).toContain(
      'the preview runs the query now and bills that, showing the events of at most 2 rows',
    )
    expect(preview.stdout).toMatch(
      new RegExp(`^→ ${t.topic.replaceAll('.', '\\.')} org-1 \\{"eventId":"${idOf(starts[0]!)}"`, 'm'),
    )
    expect(preview.stdout).toMatch(/^preview: 2 rows \(at most 2\) would give 2 events for \S+; nothing was produced$/m)

    const lines = await t.fa(['produce', 'onboarding', ...window, '--preview', '5', '--json'])
    expect(lines.code).toBe(0)
    const records = lines.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(records.map((r) => [r.topic, r.key, r.value.eventId])).toEqual(
      starts.slice(0, 3).map((row) => [t.topic, row.org_id, idOf(row)]),
    )
    expect(lines.stderr).toContain('BigQuery would process 549755813888 bytes')

    const inserts = h.bigquery.requests.filter((r) => r.route === 'jobs.insert')
    expect(inserts.map((r) => r.body.configuration.dryRun ?? false)).toEqual([true, true, false, true, false])
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })
}, 60_000)
