import {describe, expect, it} from 'vitest'

import {StateKeeper} from '../../../src/lib/enrich/state-keeper.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

const alarm = stream('alarm', 'alarms')
  .incidents({key: ({event}) => event.device, window: '1h'})
  .message(() => ({recipient: 'U1', header: 'h', text: new Mrkdwn('t')}))
  .to('out')
const HOUR = 3_600_000
const incident = (openedAt: number) => ({
  alertId: 'a',
  revision: 0,
  openedAt,
  firstSeen: 0,
  lastSeen: 0,
  count: 1,
  content: {},
})

describe('StateKeeper', () => {
  it('restores before the first batch and after invalidate; sweeps only the expired keys it changed itself', async () => {
    const state = new MemoryStateStore({journal: true})
    let restores = 0
    const keeper = new StateKeeper(state, 'fa-state', 'g', new Topology([alarm], {}, buildSlackMessage), async () => {
      restores++
      state.clear()
      // Restored: another member's incident, long expired by this member's stream time.
      state.restore('alarm/incident', 'theirs', incident(0))
    })
    await keeper.ready()
    await keeper.ready()
    expect(restores).toBe(1)
    state.put('alarm/incident', 'mine', incident(0))
    expect(keeper.changes(0).map((m) => m.key)).toEqual(['["g","alarm/incident","mine"]'])
    const swept = keeper.changes(2 * HOUR)
    expect(swept.map((m) => [m.key, m.value])).toEqual([['["g","alarm/incident","mine"]', null]])
    expect(state.get('alarm/incident', 'theirs')).toBeDefined()
    keeper.invalidate()
    await keeper.ready()
    expect(restores).toBe(2)
  })
})
