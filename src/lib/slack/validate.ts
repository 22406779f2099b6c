import {z} from 'zod'

import {METADATA_EVENT_TYPE, type SlackMessage} from './blocks.js'
import {SlackLimits} from './limits.js'

/** Undocumented: Slack answers msg_blocks_too_long somewhere around this much text across all blocks. */

const str = () => z.string({error: (issue) => (issue.input === undefined ? 'missing' : 'must be a string')})
const text = (max: number) => str().min(1, 'empty').max(max, `longer than ${max}`)
const textObject = (max: number) =>
  z.looseObject({type: z.enum(['plain_text', 'mrkdwn'], 'must be plain_text or mrkdwn'), text: text(max)})

/** The block types the enrichment core builds; others pass through for Slack to judge. */
const blockSchemas: Record<string, z.ZodType> = {
  header: z.looseObject({
    text: z.looseObject({type: z.literal('plain_text', 'must be plain_text'), text: text(SlackLimits.headerText)}),
  }),
  section: z
    .looseObject({
      text: textObject(SlackLimits.sectionText).optional(),
      fields: z
        .array(textObject(SlackLimits.fieldText))
        .min(1, 'empty')
        .max(SlackLimits.fields, `more than ${SlackLimits.fields}`)
        .optional(),
    })
    .refine((section) => section.text || section.fields, 'needs text or fields'),
  context: z.looseObject({
    elements: z
      .array(z.looseObject({type: str(), text: text(SlackLimits.contextText).optional()}))
      .min(1, 'empty')
      .max(SlackLimits.contextElements, `more than ${SlackLimits.contextElements}`),
  }),
}

const messageSchema = z
  .object(
    {
      alertId: str().min(1, 'empty'),
      channel: str().min(1, 'empty'),
      text: str()
        .refine((value) => value.trim() !== '', 'empty (it is the notification fallback)')
        .max(SlackLimits.messageText, `longer than ${SlackLimits.messageText}`),
      blocks: z
        .array(z.looseObject({type: str()}), 'must be an array')
        .max(SlackLimits.blocks, `more than ${SlackLimits.blocks} blocks`)
        .superRefine((blocks, ctx) => {
          blocks.forEach((block, index) => {
            for (const issue of blockSchemas[block.type]?.safeParse(block).error?.issues ?? []) {
              ctx.addIssue({code: 'custom', path: [index, ...issue.path], message: issue.message})
            }
          })
          const total = textLength(blocks)
          if (total > SlackLimits.totalBlockText) {
            ctx.addIssue({
              code: 'custom',
              message: `${total} characters of text in all, over ~${SlackLimits.totalBlockText} (msg_blocks_too_long)`,
            })
          }
        }),
      revision: z
        .number({error: 'must be a number'})
        .int('must be a whole number')
        .nonnegative('must be 0 (the post) or more')
        .optional(),
      metadata: z.object({
        event_type: z.literal(METADATA_EVENT_TYPE, `must be ${METADATA_EVENT_TYPE}`),
        event_payload: z.object({alert_id: str()}).catchall(str()),
      }),
    },
    'must be an object',
  )
  // The history lookup after an ambiguous failure finds the post by this id.
  .refine((message) => message.metadata.event_payload.alert_id === message.alertId, {
    path: ['metadata', 'event_payload', 'alert_id'],
    message: 'differs from alertId',
  })

export type ValidationResult = {ok: true; message: SlackMessage} | {ok: false; reason: string}

/** Checks a payload against Block Kit's limits before it is posted; the reason names the field. */
export function validateSlackMessage(payload: unknown): ValidationResult {
  const parsed = messageSchema.safeParse(payload)
  if (parsed.success) return {ok: true, message: parsed.data}
  const issue = parsed.error.issues[0]!
  return {ok: false, reason: `${formatPath(issue.path) || 'payload'}: ${issue.message}`}
}

function formatPath(path: PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('')
}

function textLength(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textLength(item), 0)
  if (value === null || typeof value !== 'object') return 0
  return Object.entries(value).reduce(
    (sum, [key, item]) => sum + (key === 'text' && typeof item === 'string' ? item.length : textLength(item)),
    0,
  )
}
