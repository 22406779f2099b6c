import type {Block} from '../slack/blocks.js'
import {escapeHtml, mrkdwnToHtml} from './mrkdwn-html.js'

type TextObject = {type?: string; text?: string}

/** A text object as Slack shows it: mrkdwn rendered, plain_text as typed. */
function textHtml(text: TextObject | undefined): string {
  if (!text || typeof text.text !== 'string') return ''
  return text.type === 'mrkdwn' ? mrkdwnToHtml(text.text) : escapeHtml(text.text)
}

/** Block Kit blocks as Slack lays them out: header, sections with fields in two columns, context, dividers. */
export function blocksToHtml(blocks: readonly Block[]): string {
  return blocks.map(blockHtml).join('\n')
}

function blockHtml(block: Block): string {
  switch (block.type) {
    case 'header':
      return `<div class="block header">${textHtml(block.text as TextObject)}</div>`
    case 'section': {
      const text = block.text ? `<div class="mrkdwn">${textHtml(block.text as TextObject)}</div>` : ''
      const fields = (block.fields as TextObject[] | undefined) ?? []
      const grid =
        fields.length > 0
          ? `<div class="fields">${fields.map((field) => `<div class="field">${textHtml(field)}</div>`).join('')}</div>`
          : ''
      return `<div class="block section">${text}${grid}</div>`
    }
    case 'context': {
      const elements = (block.elements as TextObject[] | undefined) ?? []
      return `<div class="block context">${elements.map((e) => `<span>${textHtml(e)}</span>`).join('')}</div>`
    }
    case 'divider':
      return '<hr class="block divider">'
    default:
      return `<div class="block unknown">[${escapeHtml(block.type)} block]</div>`
  }
}
