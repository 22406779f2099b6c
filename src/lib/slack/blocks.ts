import type {AlertContent} from '../pipeline/content.js'
import {ELLIPSIS, SlackLimits} from './limits.js'
import {escapeMrkdwn, truncate, truncateMrkdwn} from './mrkdwn.js'

export type Block = Record<string, unknown> & {type: string}

export interface SlackMessage {
  alertId: string
  channel: string
  text: string
  blocks: Block[]
  metadata: {event_type: string; event_payload: Record<string, string>}
  /** An incident's later revision of the alert (chat.update of the first post); absent for the post itself. */
  revision?: number
}

export const METADATA_EVENT_TYPE = 'fa_alert'

const mrkdwn = (text: string) => ({type: 'mrkdwn', text})
/** Small print stays small, so the fields keep their room within the total. */
const CONTEXT_TEXT = 300
/** What the fields may share: the total less the header, summary, detail and context at their largest, with a margin. */
const FIELDS_BUDGET =
  SlackLimits.totalBlockText -
  1000 -
  SlackLimits.headerText -
  2 * SlackLimits.sectionText -
  SlackLimits.contextElements * CONTEXT_TEXT
/** Labels are short by intent; cutting them leaves room for the value. Few and constant: made once each. */
const labels = new Map<string, string>()
function label(text: string): string {
  let made = labels.get(text)
  if (made === undefined) {
    made = `*${truncateMrkdwn(escapeMrkdwn(text), 100)}*`
    if (labels.size < 1000) labels.set(text, made)
  }
  return made
}

/** Builds a ready chat.postMessage payload within Block Kit's limits. */
export function buildSlackMessage(alertId: string, pipeline: string, content: AlertContent): SlackMessage {
  const blocks: Block[] = [
    {
      type: 'header',
      text: {type: 'plain_text', text: truncate(content.header || ' ', SlackLimits.headerText), emoji: true},
    },
    {type: 'section', text: mrkdwn(truncateMrkdwn(content.text.text, SlackLimits.sectionText))},
  ]
  const shown = (content.fields ?? [])
    .filter((field) => field.value !== null && field.value !== undefined && field.value !== '')
    .slice(0, SlackLimits.fields)
  const fieldText = Math.min(SlackLimits.fieldText, Math.floor(FIELDS_BUDGET / Math.max(1, shown.length)))
  const fields = shown.map((field) => {
    const title = `${label(field.label)}\n`
    return mrkdwn(title + truncateMrkdwn(escapeMrkdwn(String(field.value)), fieldText - title.length))
  })
  if (fields.length > 0) blocks.push({type: 'section', fields})
  if (content.detail) {
    const title = `${label(content.detail.label)}\n\`\`\``
    const room = SlackLimits.sectionText - title.length - 3
    // Backticks would close the code block early.
    const body = truncateMrkdwn(escapeMrkdwn(content.detail.value.replaceAll('```', "'''")), room)
    blocks.push({type: 'section', text: mrkdwn(`${title}${body}\`\`\``)})
  }
  const context = (content.context ?? []).filter((line) => line.trim() !== '').slice(0, SlackLimits.contextElements)
  if (context.length > 0) {
    blocks.push({
      type: 'context',
      elements: context.map((line) => mrkdwn(truncateMrkdwn(escapeMrkdwn(line), CONTEXT_TEXT))),
    })
  }
  return {
    alertId,
    channel: content.recipient,
    text: truncateMrkdwn(content.text.text, SlackLimits.messageText),
    blocks: blocks.slice(0, SlackLimits.blocks),
    metadata: {event_type: METADATA_EVENT_TYPE, event_payload: {alert_id: alertId, pipeline}},
  }
}

export {ELLIPSIS}
