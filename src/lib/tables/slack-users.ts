import {z} from 'zod'

import {defineTable} from '../pipeline/table.js'

/** Emails match case-insensitively and ignoring surrounding whitespace, on both sides of the join. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

/** Slack users keyed by email. */
export const slackUsers = defineTable({
  name: 'slack-users',
  topic: 'slackUsers',
  description: 'Slack user per email, keyed by email',
  schema: z.looseObject({
    email: z.string().optional(),
    slackUserId: z.string().min(1),
    displayName: z.string().optional(),
  }),
  normalizeKey: normalizeEmail,
})

export type SlackUser = z.infer<typeof slackUsers.schema>
