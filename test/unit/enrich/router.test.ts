// The router's first stage: a stateful record whose key belongs to a repartition partition this
// member applies is run on the state where it is read; any other is handed on, keyed by its state key.
import type {KafkaMessage, Message} from 'kafkajs'
import {describe, expect, it, vi} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {RepartitionPlan} from '../../../src/lib/enrich/repartition.js'
import {RecordRouter} from '../../../src/lib/enrich/router.js'
import {keyPartition} from '../../../src/lib/kafka/requests.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {assignment, slackUser} from '../../support/records.js'

const PARTITIONS = 6
const connectorIn = (partition: number) => {
  for (let i = 0; ; i++) if (keyPartition(`lcc-${i}`, PARTITIONS) === partition) return `lcc-${i}`
}

function router() {
  const topology = new Topology([...builtInAlerts], defaultTopics, buildSlackMessage)
  const tables = new TableStore()
  for (const row of [assignment('org-1', 'jane@example.com'), slackUser('jane@example.com', 'U1')])
    topology.applyTable(row, tables)
  const state = new MemoryStateStore()
  const plan = new RepartitionPlan(topology, 'g')
  const alert = topology.alertTypes.find((a) => a.name === 'connector-provisioning-failed')!
  return {router: new RecordRouter(topology, tables, state, plan, undefined), plan, alert, state, topology}
}

const failure = (connectorId: string, offset: string): KafkaMessage =>
  ({
    key: Buffer.from('org-1'),
    value: Buffer.from(
      JSON.stringify({eventId: `e-${offset}`, orgId: 'org-1', connectorId, oldStatus: 'Provisioning'}),
    ),
    headers: {},
    timestamp: '1764583200000',
    offset,
    attributes: 0,
  }) as KafkaMessage

function run(r: RecordRouter, message: KafkaMessage) {
  const emitted: Array<{topic: string; message: Message}> = []
  const outcomes = r.process(defaultTopics.notifications, 2, message, (topic, m) => emitted.push({topic, message: m}))
  return {outcomes, emitted}
}

describe('RecordRouter, keys applied where read', () => {
  it('runs the keys of the partitions here on the state, hands on the others, and hands on everything until told', () => {
    const {router: r, plan, alert, state, topology} = router()
    const here = connectorIn(1)
    const elsewhere = connectorIn(4)

    // Before the join's decision: every stateful record is handed on.
    expect(run(r, failure(here, '1')).emitted).toHaveLength(1)
    expect(r.runsStateHere(defaultTopics.notifications)).toBe(false)

    r.runHere(new Map([[alert, {partitions: new Set([1, 2]), count: PARTITIONS}]]))
    expect(r.runsStateHere(defaultTopics.notifications)).toBe(true)
    const runs = vi.spyOn(topology, 'process')
    const local = run(r, failure(here, '2'))
    // Once: the run that found its key here went on on the state, not probed and then run again.
    expect(runs).toHaveBeenCalledTimes(1)
    runs.mockRestore()
    expect(local.emitted).toEqual([])
    expect(local.outcomes.map((o) => o.kind)).toContain('alert')
    expect(state.get('connector-provisioning-failed/incident', here)).toBeDefined()

    const handed = run(r, failure(elsewhere, '3'))
    expect(handed.emitted.map((e) => [e.topic, e.message.key])).toEqual([[plan.topicFor(alert), elsewhere]])
    expect(handed.outcomes.map((o) => o.kind)).not.toContain('alert')
    expect(state.get('connector-provisioning-failed/incident', elsewhere)).toBeUndefined()

    // A new generation with nothing here: handed on again.
    r.runHere(new Map())
    expect(run(r, failure(here, '4')).emitted).toHaveLength(1)
  })
})
