import type {Admin} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {RepartitionPlan} from '../../../src/lib/enrich/repartition.js'
import {drainRepartition} from '../../../src/lib/enrich/repartition-setup.js'
import {DrainTracker} from '../../../src/lib/kafka/drain.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'

const plan = new RepartitionPlan(new Topology([...builtInAlerts], defaultTopics, buildSlackMessage), 'g')
const [first] = plan.topics.map((t) => t.topic)

let endsRead = 0
/** An admin whose first repartition topic ends at offset 5 (one partition each), committed up to 4. */
const admin = {
  fetchOffsets: async ({topics}: {topics: string[]}) =>
    topics.map((topic) => ({topic, partitions: [{partition: 0, offset: topic === first ? '4' : '-1'}]})),
  fetchTopicOffsets: async (topic: string) => {
    endsRead++
    return [{partition: 0, high: topic === first ? '5' : '0', low: '0'}]
  },
} as unknown as Admin

const settled = async (p: Promise<unknown>) => {
  let done = false
  void p.then(() => (done = true))
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0))
  return done
}

describe('drainRepartition', () => {
  it('reads the targets while the marker offsets commit; a marker committed to the end is drained', async () => {
    const drain = new DrainTracker([{topic: 'src', partition: 0, from: 0, target: 1}])
    let commit = () => {}
    const markers = () =>
      new Promise<void>((resolve) => {
        commit = () => {
          // The last record of the partition was a transaction marker: its offset committed here.
          drain.advance(first!, 0, 5)
          resolve()
        }
      })
    drainRepartition(drain, admin, 'g', plan, markers)
    drain.advance('src', 0, 1)
    expect(await settled(drain.done)).toBe(false)
    expect(endsRead).toBe(plan.topics.length)
    commit()
    expect(await settled(drain.done)).toBe(true)
  })
})
