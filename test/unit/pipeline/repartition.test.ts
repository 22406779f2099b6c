import {describe, expect, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {routeByState} from '../../../src/lib/pipeline/repartition.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology, type Outcome} from '../../../src/lib/pipeline/topology.js'
import type {TopicRecord} from '../../../src/lib/records/record.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {assignment, failure, rec, slackUser} from '../../support/records.js'

const topology = new Topology([...builtInAlerts], defaultTopics, buildSlackMessage)
const stateful = new Set(builtInAlerts.filter((a) => a.stateful))
const tables = new TableStore()
for (const row of [slackUser('jane@example.com', 'U1'), assignment('org-1', 'jane@example.com')])
  topology.process(row, tables, new MemoryStateStore())

const cluster = (key: string | null, value: Record<string, unknown>) =>
  rec(defaultTopics.clusters, key, {eventId: `c-${JSON.stringify(value)}`, clusterId: 'lkc-1', ...value})
const at = (record: TopicRecord, minute: number) => ({
  ...record,
  timestamp: new Date(Date.UTC(2026, 10, 24, 10, minute)).toISOString(),
})

/** Failures, repeats and recoveries of two connectors, unkeyed and keyed, and records without a state key. */
const records: TopicRecord[] = [
  at(failure(null, {orgId: 'org-1', connectorId: 'lcc-1'}), 0),
  at(failure('org-1', {connectorId: 'lcc-2'}), 1),
  at(failure(null, {orgId: 'org-1', connectorId: 'lcc-1'}), 2),
  at(failure('org-1', {connectorId: 'lcc-1', oldStatus: 'Running', newStatus: 'Paused'}), 3),
  at(failure('org-1', {connectorId: 'lcc-1', newStatus: 'Running'}), 4),
  at(failure('org-1', {connectorId: undefined}), 5),
  at(failure(null, {orgId: 'org-1', connectorId: 'lcc-1'}), 6),
  at(rec(defaultTopics.notifications, 'org-1', 'not json'), 7),
  at(failure('org-9', {connectorId: 'lcc-3', newStatus: 'running'}), 8),
  at(cluster('org-1', {}), 9),
  at(cluster(null, {orgId: 'org-1'}), 10),
  at(cluster(null, {}), 11),
]

describe('routeByState: the first stage of a repartitioned record', () => {
  it('hands on exactly the records that touch state, under the key they touch; the rest are final', () => {
    const state = new MemoryStateStore()
    const routed = records.map((record) => routeByState(topology, record, tables, state, stateful))
    const keys = routed.map((r) => r.keyed.map(({alert, key}) => `${alert.name}:${key}`))
    expect(keys).toEqual([
      ['connector-provisioning-failed:lcc-1'],
      ['connector-provisioning-failed:lcc-2'],
      ['connector-provisioning-failed:lcc-1'],
      [], // filtered (not provisioning, not a recovery): no state
      ['connector-provisioning-failed:lcc-1'], // a recovery looks its incident up
      [], // no connector id: a dead letter whatever the state
      ['connector-provisioning-failed:lcc-1'],
      [], // not JSON
      ['connector-provisioning-failed:lcc-3'], // a recovery, even of an org without an assignee
      ['cluster-created:org-1'],
      ['cluster-created:org-1'], // unkeyed: the org id of the value
      [], // no org id at all
    ])
    const final = (i: number) => routed[i]!.outcomes.map((o) => [o.kind, o.pipeline, 'reason' in o ? o.reason : ''])
    expect(final(3)).toEqual([['dropped', 'connector-provisioning-failed', 'filtered']])
    expect(final(5)).toEqual([
      ['dead-letter', 'connector-provisioning-failed', 'connectorId: must be a non-empty string'],
    ])
    expect(final(7)).toEqual([
      ['dead-letter', 'connector-provisioning-failed', expect.stringMatching(/^value is not valid JSON/)],
    ])
    expect(final(11)).toEqual([['dead-letter', 'cluster-created', 'no org id (record key or value.orgId)']])
    // The probe kept nothing: state is only the second stage's.
    expect(state.size('connector-provisioning-failed/incident')).toBe(0)
  })

  it('both stages together give what the core gives in one, record by record', () => {
    const once = new MemoryStateStore()
    const twice = new MemoryStateStore()
    const strip = (outcomes: Outcome[]) => outcomes.map((o) => JSON.stringify(o)).sort()
    for (const record of records) {
      const expected = topology.process(record, tables, once)
      const {outcomes, keyed} = routeByState(topology, record, tables, twice, stateful)
      const second = keyed.flatMap(({alert}) => topology.process(record, tables, twice, [alert]))
      expect(strip([...outcomes, ...second])).toEqual(strip(expected))
    }
    expect([...twice.entries('connector-provisioning-failed/incident')]).toEqual([
      ...once.entries('connector-provisioning-failed/incident'),
    ])
  })

  it('runs stateless alert types as they are and hands nothing on without repartitioned ones', () => {
    const record = rec(defaultTopics.onboarding, 'org-1', {eventId: 'o1', eventType: 'onboarding_started'})
    const routed = routeByState(topology, record, tables, new MemoryStateStore(), stateful)
    expect(routed.keyed).toEqual([])
    expect(routed.outcomes).toMatchObject([{kind: 'alert', pipeline: 'onboarding-started'}])
    const none = routeByState(topology, records[0]!, tables, new MemoryStateStore(), new Set())
    expect(none.keyed).toEqual([])
    expect(none.outcomes).toMatchObject([{kind: 'alert', incident: true}])
  })
})
