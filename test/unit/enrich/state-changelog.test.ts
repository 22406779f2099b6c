import {describe, expect, it} from 'vitest'

import {changelogMessages, restoreRecord, STATE_FORMAT} from '../../../src/lib/enrich/state-changelog.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'

const record = (key: string | null, value: string | null, offset = '7') => ({
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  offset,
})

describe('the state changelog', () => {
  it('round-trips changes: values with their format version, deletions as tombstones', () => {
    const source = new MemoryStateStore({journal: true})
    source.put('a/incident', 'lcc-1', {count: 2})
    source.put('a/history/history', 'org-1', {count: 1})
    source.delete('a/incident', 'lcc-1')
    const messages = changelogMessages(source.takeChanges())
    expect(messages.map((m) => [m.key, m.value])).toEqual([
      ['["a/incident","lcc-1"]', `{"v":${STATE_FORMAT},"value":{"count":2}}`],
      ['["a/history/history","org-1"]', `{"v":${STATE_FORMAT},"value":{"count":1}}`],
      ['["a/incident","lcc-1"]', null],
    ])
    const restored = new MemoryStateStore({journal: true})
    for (const m of messages) restoreRecord(restored, 'fa-state', 0, record(m.key as string, m.value as string | null))
    expect(restored.get('a/incident', 'lcc-1')).toBeUndefined()
    expect(restored.get('a/history/history', 'org-1')).toEqual({count: 1})
    // Restoring writes nothing back to the changelog.
    expect(restored.takeChanges()).toEqual([])
  })

  it('stops on a format version it does not know, naming the topic, partition and offset', () => {
    const state = new MemoryStateStore()
    expect(() => restoreRecord(state, 'fa-state', 2, record('["a/incident","k"]', '{"v":2,"value":{}}', '41'))).toThrow(
      'state topic fa-state[2]@41: state format version 2 is not one this fa reads (1 to 1)',
    )
    expect(() => restoreRecord(state, 'fa-state', 0, record('k', '{"v":1}'))).toThrow(/the key is not fa's/)
    expect(() => restoreRecord(state, 'fa-state', 0, record('["a","k"]', '{oops'))).toThrow(/the value is not JSON/)
  })
})
