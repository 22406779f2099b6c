import {describe, expect, it} from 'vitest'

import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'

describe('MemoryStateStore undo', () => {
  it('puts back what a record changed since the mark, and drops those changes from the journal', () => {
    const state = new MemoryStateStore({journal: true})
    state.put('n', 'kept', 1)
    state.put('n', 'changed', 'before')
    const mark = state.mark()
    state.put('n', 'changed', 'after')
    state.put('n', 'new', true)
    state.delete('n', 'kept')
    state.undo(mark)

    expect([...state.entries('n')].sort()).toEqual([
      ['changed', 'before'],
      ['kept', 1],
    ])
    expect(state.takeChanges().map(({key, value}) => [key, value])).toEqual([
      ['kept', 1],
      ['changed', 'before'],
    ])
  })

  it('undoes a key changed twice back to its first value', () => {
    const state = new MemoryStateStore({journal: true})
    state.put('n', 'k', 0)
    const mark = state.mark()
    state.put('n', 'k', 1)
    state.put('n', 'k', 2)
    state.undo(mark)
    expect(state.get('n', 'k')).toBe(0)
  })
})
