import {describe, expect, it} from 'vitest'

import {Mrkdwn, type AlertContent} from '../../../src/lib/pipeline/content.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology, type RenderAlert} from '../../../src/lib/pipeline/topology.js'
import {rec} from '../../support/records.js'

const shout = stream('shout', 'events')
  .message(({event}) => ({recipient: 'C1', header: String(event.word), text: new Mrkdwn('!')}))
  .to('out')

describe('Topology', () => {
  it('renders each alert with the function it was given, not a format of its own', () => {
    const calls: Array<[string, string, AlertContent]> = []
    const render: RenderAlert = (alertId, pipeline, content) => {
      calls.push([alertId, pipeline, content])
      return {rendered: content.header}
    }
    const [outcome] = new Topology([shout], {}, render).process(
      rec('events', 'k', {word: 'hi'}),
      new TableStore(),
      new MemoryStateStore(),
    )
    if (outcome?.kind !== 'alert') throw new Error(`expected an alert, got ${JSON.stringify(outcome)}`)
    expect(outcome.output).toMatchObject({topic: 'out', key: outcome.alertId, value: {rendered: 'hi'}})
    expect(calls).toEqual([[outcome.alertId, 'shout', {recipient: 'C1', header: 'hi', text: new Mrkdwn('!')}]])
  })
})
