import {z} from 'zod'

import {defineTable, optionalText} from '../pipeline/table.js'

/** Emails match case-insensitively and ignoring surrounding whitespace, on both sides of the join. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase()

/** Slack users keyed by email. */
export const slackUsers = defineTable({
  name: 'slack-users',
  topic: 'slackUsers',
  description: 'Slack user per email, keyed by email',
  schema: z.looseObject({
    email: optionalText,
    slackUserId: z.string().min(1),
    displayName: optionalText,
  }),
  normalizeKey: normalizeEmail,
})

export type SlackUser = z.infer<typeof slackUsers.schema>
