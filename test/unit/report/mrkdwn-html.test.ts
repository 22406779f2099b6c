import {describe, expect, it} from 'vitest'

import {blocksToHtml} from '../../../src/lib/report/blocks-html.js'
import {mrkdwnToHtml} from '../../../src/lib/report/mrkdwn-html.js'

describe('mrkdwn as Slack renders it', () => {
  it.each([
    ['*bold* and _italic_ and ~gone~', '<b>bold</b> and <i>italic</i> and <s>gone</s>'],
    ['a `x < y` b', 'a <code>x &#60; y</code> b'],
    ['```line 1\n*not bold*```', '<pre>line 1\n*not bold*</pre>'],
    [
      'see <https://x.example/?a=1&amp;b=2|the docs>',
      'see <a href="https://x.example/?a=1&#38;b=2" rel="noopener noreferrer">the docs</a>',
    ],
    ['<https://x.example>', '<a href="https://x.example" rel="noopener noreferrer">https://x.example</a>'],
    [
      'hi <@U123> in <#C9|general>, <!here>',
      'hi <span class="mention">@U123</span> in <span class="mention">#general</span>, <span class="mention special">@here</span>',
    ],
    // Escaped markup is the literal text: never a mention, a link or HTML.
    [
      '&lt;!channel&gt; &lt;https://evil.example|x&gt; &amp; co',
      '&#60;!channel&#62; &#60;https://evil.example|x&#62; &#38; co',
    ],
    ['<script>alert(1)</script>', '&#60;script&#62;alert(1)&#60;/script&#62;'],
    ['two\nlines', 'two<br>lines'],
    ['snake_case_name and 2*3*4', 'snake_case_name and 2*3*4'],
  ])('%j', (text, html) => {
    expect(mrkdwnToHtml(text)).toBe(html)
  })
})

describe('Block Kit as Slack lays it out', () => {
  it('renders header as plain text, fields in a grid, context small, and names blocks it does not know', () => {
    const html = blocksToHtml([
      {type: 'header', text: {type: 'plain_text', text: '*not bold* <b>'}},
      {
        type: 'section',
        fields: [
          {type: 'mrkdwn', text: '*A*\n1'},
          {type: 'mrkdwn', text: '*B*\n2'},
        ],
      },
      {type: 'context', elements: [{type: 'mrkdwn', text: '_small_'}]},
      {type: 'actions'},
    ])
    expect(html).toBe(
      [
        '<div class="block header">*not bold* &#60;b&#62;</div>',
        '<div class="block section"><div class="fields"><div class="field"><b>A</b><br>1</div><div class="field"><b>B</b><br>2</div></div></div>',
        '<div class="block context"><span><i>small</i></span></div>',
        '<div class="block unknown">[actions block]</div>',
      ].join('\n'),
    )
  })
})
