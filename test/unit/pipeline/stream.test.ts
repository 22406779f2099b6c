import {describe, expect, expectTypeOf, it} from 'vitest'
import {z} from 'zod'

import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {defineTable, TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {rec} from '../../support/records.js'

const people = defineTable({
  name: 'people',
  topic: 'people',
  description: 'a name per id',
  schema: z.object({name: z.string()}),
})

const keyed = () => stream('greet', 'events').selectKey(({record}) => record.key, 'id')

const joins = {
  'by name': keyed().join(people, {key: ({key}) => key, as: 'person', missing: 'nobody'}),
  // The form user modules written before `{key, as, missing}` still use.
  positional: keyed().join(people, ({key}) => key, 'person', 'nobody'),
}

describe.each(Object.entries(joins))('join, %s', (_, joined) => {
  const greet = joined
    .message(({person}) => {
      expectTypeOf(person).toEqualTypeOf<{name: string}>()
      return {recipient: 'C1', header: `Hello ${person.name}`, text: new Mrkdwn('hi')}
    })
    .to('out')
  const run = (key: string) => {
    const topology = new Topology([greet], {}, (_id, _pipeline, content) => content)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    topology.process(rec('people', 'p-1', {name: 'Ada'}), tables, state)
    return topology.process(rec('events', key, {}), tables, state)
  }

  it('puts the row under the key in the context field named `as`', () => {
    expect(greet.tables).toEqual([people])
    expect(run('p-1')).toMatchObject([{kind: 'alert', output: {value: {header: 'Hello Ada'}}}])
  })

  it('drops a record without a row as `missing`', () => {
    expect(run('p-2')).toEqual([
      {kind: 'dropped', pipeline: 'greet', reason: 'nobody', detail: 'people has no row for "p-2"'},
    ])
    expect(greet.dropReasons).toEqual(['nobody'])
  })
})
