import {describe, expect, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology, type Outcome} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {assignment, rec, slackUser} from '../../support/records.js'

const seen: unknown[] = []
const logins = stream('logins', 'logins')
  .selectKey(({event}) => event.user, 'user')
  .history({key: ({key}) => key, what: 'user'})
  .history({
    key: ({key}) => key,
    as: 'places',
    initial: [] as string[],
    reduce: (places, {event}) => (places.includes(String(event.place)) ? places : [...places, String(event.place)]),
  })
  .message(({history, places}) => {
    seen.push({history, places})
    return {recipient: 'C1', header: 'login', text: new Mrkdwn('')}
  })
  .to('out')

const login = (user: string | undefined, place: string, iso: string) => {
  const record = rec('logins', null, {user, place})
  record.timestamp = iso
  return record
}

describe('history', () => {
  it('counts per key with first and last seen by event time (out of order too), and runs user reducers', () => {
    const core = new Topology([logins], {}, buildSlackMessage)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    seen.length = 0
    for (const record of [
      login('ada', 'home', '2026-11-24T10:00:00.000Z'),
      login('bob', 'home', '2026-11-24T10:05:00.000Z'),
      login('ada', 'work', '2026-11-24T12:00:00.000Z'),
      login('ada', 'home', '2026-11-24T09:00:00.000Z'),
    ])
      core.process(record, tables, state)
    expect(seen).toEqual([
      {
        history: {count: 1, firstSeen: '2026-11-24T10:00:00.000Z', lastSeen: '2026-11-24T10:00:00.000Z'},
        places: ['home'],
      },
      {
        history: {count: 1, firstSeen: '2026-11-24T10:05:00.000Z', lastSeen: '2026-11-24T10:05:00.000Z'},
        places: ['home'],
      },
      {
        history: {count: 2, firstSeen: '2026-11-24T10:00:00.000Z', lastSeen: '2026-11-24T12:00:00.000Z'},
        places: ['home', 'work'],
      },
      {
        history: {count: 3, firstSeen: '2026-11-24T09:00:00.000Z', lastSeen: '2026-11-24T12:00:00.000Z'},
        places: ['home', 'work'],
      },
    ])
    const [outcome] = core.process(login(undefined, 'x', '2026-11-24T13:00:00.000Z'), tables, state)
    expect(outcome).toMatchObject({kind: 'dead-letter', reason: 'no user'})
  })
})

describe('history with distinct', () => {
  it('counts distinct values: an event seen again changes nothing, and writes no change', () => {
    const devices = stream('devices', 'logins')
      .selectKey(({event}) => event.user, 'user')
      .history({key: ({key}) => key, as: 'devices', distinct: ({event}) => event.place})
      .message(({devices: d}) => (seen.push(d), {recipient: 'C1', header: 'login', text: new Mrkdwn('')}))
      .to('out')
    const core = new Topology([devices], {}, buildSlackMessage)
    const state = new MemoryStateStore({journal: true})
    seen.length = 0
    for (const [place, iso] of [
      ['home', '2026-11-24T10:00:00.000Z'],
      ['home', '2026-11-24T11:00:00.000Z'],
      ['work', '2026-11-24T09:00:00.000Z'],
    ])
      core.process(login('ada', place!, iso!), new TableStore(), state)
    expect(seen).toEqual([
      {count: 1, firstSeen: '2026-11-24T10:00:00.000Z', lastSeen: '2026-11-24T10:00:00.000Z', seen: ['home']},
      {count: 1, firstSeen: '2026-11-24T10:00:00.000Z', lastSeen: '2026-11-24T10:00:00.000Z', seen: ['home']},
      {count: 2, firstSeen: '2026-11-24T09:00:00.000Z', lastSeen: '2026-11-24T10:00:00.000Z', seen: ['home', 'work']},
    ])
    expect(state.takeChanges()).toHaveLength(2)
  })
})

describe('cluster-created', () => {
  const text = (outcome: Outcome | undefined) =>
    (outcome as unknown as {output: {value: SlackMessage}}).output.value.text

  it("says first cluster ever, then the Nth with the first's date; unassigned clusters count too", () => {
    const core = new Topology([...builtInAlerts], defaultTopics, buildSlackMessage)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    const cluster = (org: string, id: string, iso: string) => {
      const record = rec('data-cluster-events', org, {eventId: id, orgId: org, clusterId: id, clusterName: `c-${id}`})
      record.timestamp = iso
      return core.process(record, tables, state)[0]
    }
    expect(cluster('org-1', 'lkc-1', '2026-11-20T10:00:00Z')).toMatchObject({kind: 'dropped', reason: 'unassigned'})
    for (const record of [
      assignment('org-1', 'jane@example.com', {orgName: 'Acme'}),
      slackUser('jane@example.com', 'U1'),
    ])
      core.process(record, tables, state)
    expect(text(cluster('org-1', 'lkc-2', '2026-11-24T10:00:00Z'))).toBe(
      '*Acme* (org-1) created its 2nd cluster, *c-lkc-2* (lkc-2); its first was on 2026-11-20.',
    )
    expect(text(cluster('org-1', 'lkc-3', '2026-11-25T10:00:00Z'))).toContain('created its 3rd cluster')
    // The same cluster's event again (a redelivery): still its 3rd cluster, and the next one the 4th.
    expect(text(cluster('org-1', 'lkc-3', '2026-11-25T10:00:00Z'))).toContain('created its 3rd cluster')
    expect(text(cluster('org-1', 'lkc-4', '2026-11-26T10:00:00Z'))).toContain('created its 4th cluster')
    for (const record of [assignment('org-2', 'jane@example.com', {orgName: 'Beta'})])
      core.process(record, tables, state)
    expect(text(cluster('org-2', 'lkc-9', '2026-11-25T11:00:00Z'))).toBe(
      '*Beta* (org-2) created its *first cluster ever*: *c-lkc-9* (lkc-9). A good moment to help them get going.',
    )
  })
})

describe('history with a reducer that changes its state in place', () => {
  it('starts every key from its own copy of `initial`', () => {
    const visits = stream('visits', 'logins')
      .selectKey(({event}) => event.user, 'user')
      .history({
        key: ({key}) => key,
        as: 'places',
        initial: {list: [] as string[]},
        reduce: (state, {event}) => (state.list.push(String(event.place)), state),
      })
      .message(({places}) => (seen.push(structuredClone(places)), {recipient: 'C1', header: 'v', text: new Mrkdwn('')}))
      .to('out')
    const core = new Topology([visits], {}, buildSlackMessage)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    seen.length = 0
    core.process(login('ada', 'home', '2026-11-24T10:00:00.000Z'), tables, state)
    core.process(login('bob', 'work', '2026-11-24T10:05:00.000Z'), tables, state)
    expect(seen).toEqual([{list: ['home']}, {list: ['work']}])
  })
})
