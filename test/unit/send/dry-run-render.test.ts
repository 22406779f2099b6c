import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import type {DryRunItem} from '../../../src/lib/send/dry-run.js'
import {renderDryRun} from '../../../src/lib/send/dry-run-render.js'
import type {SlackMessage} from '../../../src/lib/slack/blocks.js'
import {alertValue, TOPIC} from './parts.js'

const c = new Chalk({level: 0})
const update = (revision: number, headers: Record<string, string>): DryRunItem => ({
  action: 'update',
  alertId: 'a-1',
  pipeline: 'connector-provisioning-failed',
  channel: 'C1',
  message: {...(JSON.parse(alertValue('a-1', 'C1')) as SlackMessage), revision},
  source: {
    topic: TOPIC,
    key: 'a-1',
    value: null,
    headers,
    timestamp: undefined,
    origin: {kind: 'kafka', partition: 0, offset: '3'},
  },
  inDoubt: false,
})

describe('send --dry-run, for people', () => {
  it('shows an incident update as ↻, and its final update (fa-resolved) as resolved', () => {
    expect(renderDryRun(update(1, {'fa-revision': '1'}), c)).toMatch(
      /^↻ update, revision 1 of connector-provisioning-failed → C1/,
    )
    expect(renderDryRun(update(2, {'fa-revision': '2', 'fa-resolved': 'true'}), c)).toMatch(
      /^✓ resolved, revision 2 of connector-provisioning-failed → C1/,
    )
  })
})
