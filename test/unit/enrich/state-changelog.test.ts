import {describe, expect, it} from 'vitest'

import {changelogMessages, STATE_FORMAT, StateRestore} from '../../../src/lib/enrich/state-changelog.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'

const record = (key: string | null, value: string | null, offset = '7') => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  offset,
})
const value = (v: unknown) => JSON.stringify({v: STATE_FORMAT, value: v})

/** A store restored by `group` from `records` (key, value), all on partition 0. */
function restored(group: string, records: Array<[string, string | null]>) {
  const state = new MemoryStateStore({journal: true})
  const restore = new StateRestore(state, group)
  for (const [key, v] of records) restore.add('fa-state', 0, record(key, v))
  return {state, taken: restore.finish()}
}

describe('the state changelog', () => {
  it("round-trips a group's changes: values with their format version, deletions as tombstones", () => {
    const source = new MemoryStateStore({journal: true})
    source.put('a/incident', 'lcc-1', {count: 2})
    source.put('a/history/history', 'org-1', {count: 1})
    source.delete('a/incident', 'lcc-1')
    const messages = changelogMessages('g1', source.takeChanges())
    expect(messages.map((m) => [m.key, m.value])).toEqual([
      ['["g1","a/incident","lcc-1"]', `{"v":${STATE_FORMAT},"value":{"count":2}}`],
      ['["g1","a/history/history","org-1"]', `{"v":${STATE_FORMAT},"value":{"count":1}}`],
      ['["g1","a/incident","lcc-1"]', null],
    ])
    const {state} = restored(
      'g1',
      messages.map((m) => [m.key as string, m.value as string | null]),
    )
    expect(state.get('a/incident', 'lcc-1')).toBeUndefined()
    expect(state.get('a/history/history', 'org-1')).toEqual({count: 1})
    // Restoring writes nothing back to the changelog.
    expect(state.takeChanges()).toEqual([])
  })

  it("passes over another group's state, even in a format this fa does not read", () => {
    const {state} = restored('g1', [
      ['["g2","a/incident","lcc-1"]', value({count: 5})],
      ['["g2","a/incident","lcc-2"]', '{"v":99}'],
      ['["g1","a/incident","lcc-3"]', value({count: 1})],
    ])
    expect(state.get('a/incident', 'lcc-1')).toBeUndefined()
    expect(state.get('a/incident', 'lcc-3')).toEqual({count: 1})
  })

  it('takes the state an older fa kept for every group (keys without one) only while the group has none of its own', () => {
    const older: Array<[string, string | null]> = [
      ['["a/incident","lcc-1"]', value({count: 1})],
      ['["a/incident","lcc-2"]', value({count: 1})],
      ['["a/incident","lcc-2"]', null],
    ]
    const first = restored('g1', older)
    expect(first.taken).toBe(1)
    expect(first.state.get('a/incident', 'lcc-1')).toEqual({count: 1})
    expect(first.state.get('a/incident', 'lcc-2')).toBeUndefined()
    // Journalled: the group's first batch writes it under the group's own key.
    expect(changelogMessages('g1', first.state.takeChanges()).map((m) => m.key)).toEqual([
      '["g1","a/incident","lcc-1"]',
    ])

    const later = restored('g1', [...older, ['["g1","a/incident","lcc-1"]', null]])
    expect(later.taken).toBe(0)
    expect(later.state.get('a/incident', 'lcc-1')).toBeUndefined()
  })

  it('stops on a format version it does not know, naming the topic, partition and offset', () => {
    const restore = new StateRestore(new MemoryStateStore(), 'g')
    expect(() => restore.add('fa-state', 2, record('["g","a/incident","k"]', '{"v":2,"value":{}}', '41'))).toThrow(
      'state topic fa-state[2]@41: state format version 2 is not one this fa reads (1 to 1)',
    )
    expect(() => restore.add('fa-state', 2, record('["a/incident","k"]', '{"v":2}', '42'))).toThrow(
      /@42: state format version 2/,
    )
    expect(() => restore.add('fa-state', 0, record('k', '{"v":1}'))).toThrow(/the key is not fa's/)
    expect(() => restore.add('fa-state', 0, record('["g","a",1]', '{"v":1}'))).toThrow(/the key is not fa's/)
    expect(() => restore.add('fa-state', 0, record('["g","a","k"]', '{oops'))).toThrow(/the value is not JSON/)
  })
})
