import type {KafkaMessage} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {RepartitionPlan} from '../../../src/lib/enrich/repartition.js'
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
const topology = new Topology([alarm], {}, buildSlackMessage)
const plan = new RepartitionPlan(topology, 'g')
const repartition = plan.topicFor(alarm)
/** A record of the repartition topic: state key `key`, from source partition `source`, at `time`. */
const record = (key: string, source: number, time: number) =>
  ({
    key: Buffer.from(key),
    timestamp: String(time),
    headers: {'fa-repartition-origin': `${source}@0`},
  }) as unknown as KafkaMessage

function keeper(restore: (state: MemoryStateStore) => void = () => {}) {
  const state = new MemoryStateStore({journal: true})
  let restores = 0
  const kept = new StateKeeper(state, 'fa-state', 'g', topology, plan, async () => {
    restores++
    state.clear()
    restore(state)
  })
  return {state, kept, restores: () => restores}
}

describe('StateKeeper', () => {
  it('restores before the first batch and after invalidate; sweeps only the expired keys it changed itself', async () => {
    // Restored: another member's incident, long expired by this member's stream time.
    const {state, kept, restores} = keeper((s) => s.restore('alarm/incident', 'theirs', incident(0)))
    await kept.ready()
    await kept.ready()
    expect(restores()).toBe(1)
    kept.saw(repartition, 0, record('mine', 0, 0))
    state.put('alarm/incident', 'mine', incident(0))
    expect(kept.changes().map((m) => m.key)).toEqual(['["g","alarm/incident","mine"]'])
    kept.saw(repartition, 0, record('other', 0, 2 * HOUR))
    const swept = kept.changes()
    expect(swept.map((m) => [m.key, m.value])).toEqual([['["g","alarm/incident","mine"]', null]])
    expect(state.get('alarm/incident', 'theirs')).toBeDefined()
    kept.invalidate()
    await kept.ready()
    expect(restores()).toBe(2)
  })

  it('sweeps a key by the stream time of its source partition in its repartition partition, not one further ahead', async () => {
    const {state, kept} = keeper()
    await kept.ready()
    kept.saw(repartition, 0, record('behind', 0, 0))
    state.put('alarm/incident', 'behind', incident(0))
    kept.saw(repartition, 0, record('ahead', 1, 10 * HOUR))
    state.put('alarm/incident', 'ahead', incident(10 * HOUR))
    // Source partition 0 read ahead in another repartition partition.
    kept.saw(repartition, 2, record('elsewhere', 0, 10 * HOUR))
    state.put('alarm/incident', 'elsewhere', incident(10 * HOUR))
    // Neither is ten hours on from 'behind's own stream: its incident is not theirs to close.
    expect(kept.changes()).toHaveLength(3)
    expect(state.get('alarm/incident', 'behind')).toBeDefined()
    kept.saw(repartition, 0, record('next', 0, 2 * HOUR))
    expect(kept.changes().map((m) => [m.key, m.value])).toEqual([['["g","alarm/incident","behind"]', null]])
    expect(state.get('alarm/incident', 'ahead')).toBeDefined()
  })
})
