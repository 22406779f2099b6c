/** Block Kit and chat.postMessage limits (https://api.slack.com/reference/block-kit). */
export const SlackLimits = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
  messageText: 4000,
  /** Undocumented: past roughly 12k characters of block text in all, Slack answers msg_blocks_too_long. */
  totalBlockText: 12_000,
} as const

export const ELLIPSIS = '…'
