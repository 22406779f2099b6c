import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import type {TopicRecord} from '../../../src/lib/records/record.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'
import {renderTailRecord, tailEnvelope} from '../../../src/lib/tail/render.js'

const c = new Chalk({level: 0})
const onKafka = (topic: string, value: TopicRecord['value'], headers: Record<string, string> = {}): TopicRecord => ({
  topic,
  key: 'k',
  value,
  headers,
  timestamp: '2026-11-24T10:00:00.000Z',
  origin: {kind: 'kafka', partition: 2, offset: '41'},
})

describe('renderTailRecord', () => {
  it('shows a dead letter with its reason and the record it came from (origin headers)', () => {
    const text = renderTailRecord(
      'dead-letters',
      onKafka('fa-dead-letters', '{oops', {
        'fa-error': 'value is not valid JSON',
        'fa-pipeline': 'connector-provisioning-failed',
        'fa-source-topic': 'data-notifications-pipeline',
        'fa-source-partition': '1',
        'fa-source-offset': '7',
      }),
      c,
    )
    expect(text).toBe(
      '2026-11-24T10:00:00.000Z fa-dead-letters[2]@41\n' +
        '✗ dead letter data-notifications-pipeline[1]@7 connector-provisioning-failed: value is not valid JSON\n\n',
    )
  })

  it('says why an alert or response in a registry format cannot be decoded; a dead letter shows as it is', () => {
    const framed = onKafka('slack-messages', Buffer.from([0, 0, 0, 0, 9]))
    const why = 'slack-messages[2]@41: value schema id 9: not found in the Schema Registry'
    for (const kind of ['alerts', 'responses'] as const)
      expect(renderTailRecord(kind, framed, c, why)).toContain(`? cannot be decoded: ${why}`)
    expect(renderTailRecord('dead-letters', framed, c, why)).toContain('✗ dead letter')
  })

  it('shows an alert as replay does, and says so when a record is not a Slack message', () => {
    const message = buildSlackMessage('fa-1', 'p', {
      recipient: 'U0ANN',
      header: 'Something broke',
      text: md`
details
      `,
    })
    const text = renderTailRecord('alerts', onKafka('slack-messages', JSON.stringify(message), {'fa-pipeline': 'p'}), c)
    expect(text).toContain('▶ p → U0ANN  fa-1\n  Something broke\n')
    expect(text).toContain('  details')
    expect(renderTailRecord('alerts', onKafka('slack-messages', '[1]'), c)).toContain(
      '? not a Slack message fa would post: value is JSON array',
    )
  })

  it('shows a response as delivered (where, when) or its error, and a tombstone as removed', () => {
    const ok = {alertId: 'fa-1', ok: true, channel: 'D1', ts: '1.2', error: null, attempts: 1, deliveredAt: 'T'}
    expect(renderTailRecord('responses', onKafka('slack-responses', JSON.stringify(ok)), c)).toContain(
      '✓ fa-1 → D1 ts 1.2 delivered T, 1 attempt(s)',
    )
    const failed = {...ok, ok: false, ts: null, error: 'channel_not_found', attempts: 3}
    expect(renderTailRecord('responses', onKafka('slack-responses', JSON.stringify(failed)), c)).toContain(
      '✗ fa-1 → D1 channel_not_found, 3 attempt(s)',
    )
    expect(renderTailRecord('responses', onKafka('slack-responses', null), c)).toContain('response removed (tombstone)')
  })

  it('--json: alerts and responses with their value as JSON, dead letters with their bytes as they are', () => {
    const bytes = (text: string) => new TextEncoder().encode(text)
    const alert = tailEnvelope('alerts', onKafka('slack-messages', bytes('{"alertId":"fa-1","channel":"U1"}')))
    expect(alert).toMatchObject({topic: 'slack-messages', key: 'k', value: {alertId: 'fa-1', channel: 'U1'}})
    expect(tailEnvelope('responses', onKafka('slack-responses', bytes('{"ok":true}'))).value).toEqual({ok: true})
    expect(tailEnvelope('responses', onKafka('slack-responses', null)).value).toBeNull()
    // Not rewritten, not even when it is JSON: a dead letter is the record as it came.
    expect(tailEnvelope('dead-letters', onKafka('fa-dead-letters', bytes('{"a": 1}'))).value).toBe('{"a": 1}')
    expect(tailEnvelope('alerts', onKafka('slack-messages', bytes('{oops'))).value).toBe('{oops')
  })
})
