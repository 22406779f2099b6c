import {z} from 'zod'

import {defineTable, optionalText} from '../pipeline/table.js'

/** Who on the account team (the CSDR) looks after an org; keyed by org id. */
export const assignments = defineTable({
  name: 'assignments',
  topic: 'assignments',
  description: 'account-team assignment per org, keyed by org id',
  schema: z.looseObject({
    orgId: optionalText,
    orgName: optionalText,
    csdrEmail: z.string().min(1),
    csdrName: optionalText,
  }),
})

export type Assignment = z.infer<typeof assignments.schema>

/** The small print of an alert DM'd to an org's account team member: who got it, why, which event. */
export function assigneeContext(assignment: Assignment, org: string, eventId?: string): string {
  const who = assignment.csdrName || assignment.csdrEmail
  // "for Acme Inc." must not read "for Acme Inc..".
  const forOrg = /[.!?]$/.test(org) ? org : `${org}.`
  return `Sent to ${who} as the account team member for ${forOrg}${eventId ? ` Event ${eventId}.` : ''}`
}
