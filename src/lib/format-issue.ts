import type {z} from 'zod'

/** One line naming the field: `csdrEmail: expected string, received undefined`. */
export function formatIssue(error: z.ZodError): string {
  const issue = error.issues[0]
  if (!issue) return 'invalid value'
  const path = issue.path.join('.')
  return path ? `${path}: ${issue.message}` : issue.message
}
