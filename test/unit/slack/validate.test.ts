// Payloads are checked against Block Kit's limits before posting.
import {describe, expect, it} from 'vitest'

import {validateSlackMessage} from '../../../src/lib/slack/validate.js'
import {alert} from './harness.js'

describe('validateSlackMessage', () => {
  const valid = alert('v-1', 'C0VALID')

  it('accepts what buildSlackMessage makes', () => {
    expect(validateSlackMessage(JSON.parse(JSON.stringify(valid)))).toEqual({ok: true, message: valid})
  })

  it.each([
    [{...valid, text: ''}, 'text: empty (it is the notification fallback)'],
    [{...valid, text: 'x'.repeat(4001)}, 'text: longer than 4000'],
    [{...valid, channel: undefined}, 'channel: missing'],
    [{...valid, blocks: Array.from({length: 51}, () => ({type: 'divider'}))}, 'blocks: more than 50 blocks'],
    [
      {...valid, blocks: [{type: 'header', text: {type: 'mrkdwn', text: 'x'}}]},
      'blocks[0].text.type: must be plain_text',
    ],
    [
      {...valid, blocks: [{type: 'header', text: {type: 'plain_text', text: 'x'.repeat(151)}}]},
      'blocks[0].text.text: longer than 150',
    ],
    [
      {...valid, blocks: [{type: 'section', text: {type: 'mrkdwn', text: 'x'.repeat(3001)}}]},
      'blocks[0].text.text: longer than 3000',
    ],
    [
      {
        ...valid,
        blocks: [
          {type: 'divider'},
          {type: 'section', fields: [1, 2, 3].map((n) => ({type: 'mrkdwn', text: 'x'.repeat(n === 3 ? 2001 : 5)}))},
        ],
      },
      'blocks[1].fields[2].text: longer than 2000',
    ],
    [
      {...valid, blocks: [{type: 'section', fields: Array.from({length: 11}, () => ({type: 'mrkdwn', text: 'x'}))}]},
      'blocks[0].fields: more than 10',
    ],
    [
      {...valid, blocks: [{type: 'context', elements: Array.from({length: 11}, () => ({type: 'mrkdwn', text: 'x'}))}]},
      'blocks[0].elements: more than 10',
    ],
    [
      {
        ...valid,
        blocks: Array.from({length: 5}, () => ({type: 'section', text: {type: 'mrkdwn', text: 'x'.repeat(2600)}})),
      },
      'blocks: 13000 characters of text in all, over ~12000 (msg_blocks_too_long)',
    ],
    [
      {...valid, metadata: {...valid.metadata, event_payload: {alert_id: 'other'}}},
      'metadata.event_payload.alert_id: differs from alertId',
    ],
    ['nope', 'payload: must be an object'],
  ])('rejects %#: %s', (payload, reason) => {
    expect(validateSlackMessage(payload)).toEqual({ok: false, reason})
  })
})
