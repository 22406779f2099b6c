import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {buildSlackMessage, type Block} from '../../../src/lib/slack/blocks.js'
import {ELLIPSIS, SlackLimits} from '../../../src/lib/slack/limits.js'
import {escapeMrkdwn, md, truncate, truncateMrkdwn} from '../../../src/lib/slack/mrkdwn.js'
import {validateSlackMessage} from '../../../src/lib/slack/validate.js'

/** Every mrkdwn string a message carries, with whether it is mrkdwn (plain_text is shown literally). */
function texts(blocks: Block[]): Array<{text: string; mrkdwn: boolean}> {
  const out: Array<{text: string; mrkdwn: boolean}> = []
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit)
    if (node && typeof node === 'object') {
      const n = node as {type?: string; text?: unknown}
      if ((n.type === 'mrkdwn' || n.type === 'plain_text') && typeof n.text === 'string')
        out.push({text: n.text, mrkdwn: n.type === 'mrkdwn'})
      Object.values(node).forEach(visit)
    }
  }
  visit(blocks)
  return out
}

/** Text with its escapes removed must hold no `<`/`>`, and every `&` must start an escape. */
const safeMrkdwn = (text: string) => !/[<>]/.test(text) && !/&(?!amp;|lt;|gt;)/.test(text)

// Strings that lean on the characters that matter.
const hostile = fc.string({
  unit: fc.constantFrom(
    '<',
    '>',
    '&',
    '!',
    '|',
    '@',
    'a',
    ' ',
    '*',
    '`',
    'here',
    'channel',
    'http://x',
    '\n',
    'é',
    '😀',
  ),
  maxLength: 60,
})
const anyText = fc.oneof(
  hostile,
  fc.string({maxLength: 300}),
  fc.string({unit: 'grapheme', minLength: 1000, maxLength: 5000}),
)

function message(values: {name: string; org: string; error: string; context: string}) {
  return buildSlackMessage('fa-1', 'test', {
    recipient: 'U1',
    header: values.name,
    text: md`Connector *${values.name}* of *${values.org}* failed`,
    fields: [
      {label: 'Org', value: values.org},
      {label: values.name, value: values.error},
    ],
    detail: {label: 'Error', value: values.error},
    context: [values.context],
  })
}

describe('mrkdwn escaping', () => {
  it('escapes the three control characters and nothing else', () => {
    expect(escapeMrkdwn('<!channel> & <https://evil|x>')).toBe('&lt;!channel&gt; &amp; &lt;https://evil|x&gt;')
    expect(md`*${'<@U1>'}*`.text).toBe('*&lt;@U1&gt;*')
  })

  it('keeps every user value inert in every mrkdwn text of the message (property)', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, (name, org, error, context) => {
        const built = message({name, org, error, context})
        for (const {text, mrkdwn} of texts(built.blocks)) if (mrkdwn) expect(safeMrkdwn(text)).toBe(true)
        expect(safeMrkdwn(built.text)).toBe(true)
      }),
      {numRuns: 300},
    )
  })

  it('never splits an escape when truncating (property)', () => {
    fc.assert(
      fc.property(hostile, fc.integer({min: 2, max: 80}), (value, max) => {
        const cut = truncateMrkdwn(escapeMrkdwn(value), max)
        expect(cut.length).toBeLessThanOrEqual(max)
        expect(safeMrkdwn(cut)).toBe(true)
      }),
      {numRuns: 500},
    )
  })

  it('round-trips: unescaping gives back the value (property)', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(escapeMrkdwn(value).replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')).toBe(value)
      }),
    )
  })
})

describe('Block Kit limits', () => {
  it('fits any input within the limits, with a visible ellipsis when cut (property)', () => {
    fc.assert(
      fc.property(anyText, anyText, anyText, anyText, (name, org, error, context) => {
        const built = message({name, org, error, context})
        expect(built.blocks.length).toBeLessThanOrEqual(SlackLimits.blocks)
        expect(built.text.length).toBeLessThanOrEqual(SlackLimits.messageText)
        for (const block of built.blocks) {
          const text = (block.text as {text: string} | undefined)?.text ?? ''
          if (block.type === 'header') expect(text.length).toBeLessThanOrEqual(SlackLimits.headerText)
          if (block.type === 'section') expect(text.length).toBeLessThanOrEqual(SlackLimits.sectionText)
          for (const field of (block.fields as Array<{text: string}>) ?? [])
            expect(field.text.length).toBeLessThanOrEqual(SlackLimits.fieldText)
        }
        expect(texts(built.blocks).reduce((sum, t) => sum + t.text.length, 0)).toBeLessThanOrEqual(
          SlackLimits.totalBlockText,
        )
        // What the builder makes, delivery accepts.
        expect(validateSlackMessage(built)).toEqual({ok: true, message: built})
      }),
      {numRuns: 200},
    )
  })

  it('cuts long values with an ellipsis', () => {
    const long = 'x'.repeat(10_000)
    const built = message({name: long, org: 'o', error: long, context: 'c'})
    const header = (built.blocks[0]!.text as {text: string}).text
    expect(header).toHaveLength(SlackLimits.headerText)
    expect(header.endsWith(ELLIPSIS)).toBe(true)
    expect(built.text.endsWith(ELLIPSIS)).toBe(true)
    expect(truncate('short', 10)).toBe('short')
  })

  it('does not leave half a surrogate pair', () => {
    expect(truncate('a😀😀😀', 3)).toBe('a' + ELLIPSIS)
  })

  it('keeps a code block closed when the error contains backticks', () => {
    const built = message({name: 'n', org: 'o', error: 'a ``` b', context: 'c'})
    const detail = texts(built.blocks).find((t) => t.text.includes('Error'))!.text
    expect(detail.match(/```/g)).toHaveLength(2)
  })

  it('carries the alert id in Slack message metadata', () => {
    expect(message({name: 'n', org: 'o', error: 'e', context: 'c'}).metadata).toEqual({
      event_type: 'fa_alert',
      event_payload: {alert_id: 'fa-1', pipeline: 'test'},
    })
  })
})
