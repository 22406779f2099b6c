// The BigQuery side of the onboarding producer in tests: its result schema and the warehouse rows.
import type {Field} from './bigquery-server.js'

/** The columns the onboarding SQL selects. */
export const onboardingSchema: Field[] = [
  {name: 'org_id', type: 'STRING', mode: 'NULLABLE'},
  {name: 'org_name', type: 'STRING', mode: 'NULLABLE'},
  {name: 'plan', type: 'STRING', mode: 'NULLABLE'},
  {name: 'region', type: 'STRING', mode: 'NULLABLE'},
  {name: 'started_at', type: 'TIMESTAMP', mode: 'NULLABLE'},
]

/** org-1 … org-7 started onboarding at 10:00, 10:10, … 11:00 on 2024-05-01; row `nullName` (0-based) has no org_name. */
export function onboardingStarts(options: {nullName?: number} = {}) {
  return Array.from({length: 7}, (_, i) => ({
    org_id: `org-${i + 1}`,
    org_name: i === options.nullName ? null : `Org ${i + 1}`,
    plan: i % 2 ? 'growth' : 'enterprise',
    region: 'eu-west',
    started_at: new Date(Date.UTC(2024, 4, 1, 10, i * 10)),
  }))
}
