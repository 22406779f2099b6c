import {z} from 'zod'

import {defineTable} from '../pipeline/table.js'

/** Who on the account team (the CSDR) looks after an org; keyed by org id. */
export const assignments = defineTable({
  name: 'assignments',
  topic: 'assignments',
  description: 'account-team assignment per org, keyed by org id',
  schema: z.looseObject({
    orgId: z.string().optional(),
    orgName: z.string().optional(),
    csdrEmail: z.string().min(1),
    csdrName: z.string().optional(),
  }),
  keyOf: (row) => row.orgId,
})

export type Assignment = z.infer<typeof assignments.schema>
