import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {renderAlert} from '../../../src/lib/output/human.js'
import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import type {Outcome} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

const plain = new Chalk({level: 0})

function alert(text: string, detail?: string): Extract<Outcome, {kind: 'alert'}> {
  const value = buildSlackMessage('fa-1', 'p', {
    recipient: 'U1',
    header: 'H',
    text: new Mrkdwn(text),
    ...(detail ? {detail: {label: 'Error', value: detail}} : {}),
  })
  return {kind: 'alert', pipeline: 'p', alertId: 'fa-1', output: {value} as never}
}

describe('renderAlert', () => {
  // As Slack shows them: code keeps its asterisks, and * inside a word marks nothing.
  it('drops only the markers of bold text, never asterisks in code or within words', () => {
    const lines = renderAlert(
      alert('`x*y*z` has *bold* and 2*3*4 ```a * b*c```', 'SELECT * FROM t WHERE n*2 > 1'),
      plain,
    )
    expect(lines).toContain('  `x*y*z` has bold and 2*3*4 a * b*c\n')
    expect(lines).toContain('  SELECT * FROM t WHERE n*2 > 1')
  })
})
