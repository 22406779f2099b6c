import {z} from 'zod'

import {defineProducer} from './producer.js'

// Inline rather than a .sql file: `tsc` copies no .sql into dist/.
const sql = `-- Orgs that started onboarding in [@since, @until): one row per org and start.
SELECT
  CAST(org_id AS STRING) AS org_id,
  org_name,
  plan,
  region,
  started_at
FROM \`analytics.org_onboarding\`
WHERE started_at >= @since
  AND started_at < @until
ORDER BY started_at, org_id
`

const text = z.string().nullish()

/** A customer started onboarding: the source of the `onboarding-started` alert type. */
export default defineProducer({
  name: 'onboarding',
  description: 'orgs that started onboarding in the window, as onboarding_started events keyed by org id',
  sql,
  params: ['since', 'until'],
  topic: 'onboarding',
  eventType: 'onboarding_started',
  row: z.object({org_id: z.string().min(1), org_name: text, plan: text, region: text, started_at: z.iso.datetime()}),
  // An org that starts onboarding again (a new started_at) is a new fact.
  naturalKey: (row) => [row.org_id, row.started_at],
  toEvent: (row) => ({
    key: row.org_id,
    // Absent rather than null: the alert type reads these as optional strings.
    value: {
      orgId: row.org_id,
      ...(row.org_name ? {orgName: row.org_name} : {}),
      ...(row.plan ? {plan: row.plan} : {}),
      ...(row.region ? {region: row.region} : {}),
      startedAt: row.started_at,
    },
  }),
})
