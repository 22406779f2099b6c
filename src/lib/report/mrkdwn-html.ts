import {MRKDWN_BOLD, MRKDWN_CODE, MRKDWN_ITALIC, MRKDWN_STRIKE} from '../slack/mrkdwn.js'

/** HTML's own escapes: whatever the text says is shown, never run or parsed as markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Slack's three escapes back to the characters they stand for. */
const decodeSlack = (text: string) => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')

/** Decoded and made safe for HTML: what Slack shows for text outside any markup. */
const shown = (text: string) => escapeHtml(decodeSlack(text))

/**
 * Slack mrkdwn as Slack renders it: ```pre```, `code`, *bold*, _italic_, ~strike~, <url|text>
 * links, <@U…> and <#C…> mentions, <!here>-style specials; an escaped `&lt;!channel&gt;` is the
 * literal text `<!channel>`, not a mention. Only a raw `<` opens Slack markup.
 */
export function mrkdwnToHtml(text: string): string {
  return text
    .split(MRKDWN_CODE)
    .map((part, i) =>
      i % 2 === 0
        ? styled(part)
        : part.startsWith('```')
          ? `<pre>${shown(part.slice(3, -3))}</pre>`
          : `<code>${shown(part.slice(1, -1))}</code>`,
    )
    .join('')
}

/** Text with Slack's <…> markup and its style markers. */
function styled(text: string): string {
  return text
    .split(/<([^<>\n]+)>/)
    .map((part, i) => (i % 2 === 1 ? markup(part) : styles(shown(part))))
    .join('')
    .replaceAll('\n', '<br>')
}

/** Style markers on already escaped text (its entities end in `;`, a non-word character as Slack's did). */
function styles(html: string): string {
  return html
    .replace(MRKDWN_BOLD, '$1<b>$2</b>')
    .replace(MRKDWN_ITALIC, '$1<i>$2</i>')
    .replace(MRKDWN_STRIKE, '$1<s>$2</s>')
}

/** One <…>: a link, a mention, or a special such as <!here>. */
function markup(inner: string): string {
  const bar = inner.indexOf('|')
  const target = bar < 0 ? inner : inner.slice(0, bar)
  const label = bar < 0 ? undefined : inner.slice(bar + 1)
  if (target.startsWith('@')) return `<span class="mention">@${shown(label ?? target.slice(1))}</span>`
  if (target.startsWith('#')) return `<span class="mention">#${shown(label ?? target.slice(1))}</span>`
  if (target.startsWith('!')) {
    const name = target.slice(1).split('^')[0]!
    return `<span class="mention special">@${shown(label ?? name)}</span>`
  }
  if (/^(https?|mailto):/i.test(target)) {
    return `<a href="${escapeHtml(decodeSlack(target))}" rel="noopener noreferrer">${shown(label ?? target)}</a>`
  }
  return shown(`<${inner}>`)
}
