import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {changeLine, fieldChanges, identities, recordHeader} from '../../../src/lib/output/golden-diff.js'

const plain = new Chalk({level: 0})
const alert = (id: string, channel = 'U1') => ({
  topic: 'slack-messages',
  key: id,
  value: {channel, blocks: [{type: 'header', text: {text: 'Hi'}}]},
  headers: {'fa-alert-id': id, 'fa-pipeline': 'p', 'fa-source-file': 'f.jsonl', 'fa-source-line': '3'},
})
const deadLetter = (line: string, pipeline = 'p') => ({
  topic: 'fa-dead-letters',
  key: 'k',
  value: '{oops',
  headers: {'fa-pipeline': pipeline, 'fa-source-file': 'f.jsonl', 'fa-source-line': line, 'fa-error': 'bad'},
})

describe('golden records by identity', () => {
  it('an alert is its topic and alert id, whatever else changes', () => {
    expect(identities([alert('a', 'U1')])).toEqual(identities([alert('a', 'U2')]))
    expect(identities([alert('a')])).not.toEqual(identities([alert('b')]))
  })

  it('a dead letter is its topic, key, pipeline and source line; the same one twice is told apart', () => {
    const [one, two, other, again] = identities([
      deadLetter('4'),
      deadLetter('5'),
      deadLetter('4', 'q'),
      deadLetter('4'),
    ])
    expect(new Set([one, two, other, again]).size).toBe(4)
    expect(again).toBe(`${one}#2`)
  })

  it('a header says what, to whom and from where', () => {
    expect(recordHeader(alert('fa-1'))).toBe('p → U1 from f.jsonl:3 fa-1')
    expect(recordHeader(deadLetter('4'))).toBe('dead letter of p from f.jsonl:4')
  })
})

describe('field changes', () => {
  it('lists only the leaves that differ, by path', () => {
    const was = alert('a')
    const now = {
      ...alert('a', 'U2'),
      value: {...alert('a', 'U2').value, blocks: [{type: 'header', text: {text: 'Ho'}}]},
    }
    expect(fieldChanges(was, now)).toEqual([
      {path: 'value.channel', was: '"U1"', now: '"U2"'},
      {path: 'value.blocks[0].text.text', was: '"Hi"', now: '"Ho"'},
    ])
  })

  it('tells fields gone and new, types that differ, and odd keys', () => {
    expect(fieldChanges({a: 1, 'b c': true}, {a: '1', d: []})).toEqual([
      {path: 'a', was: '1', now: '"1"'},
      {path: '"b c"', was: 'true'},
      {path: 'd', now: '[]'},
    ])
    expect(fieldChanges({a: [1, 2]}, {a: [1, 2]})).toEqual([])
  })

  it('shows a change as path: old → new, control characters escaped', () => {
    expect(changeLine({path: 'v', was: '"a"', now: '"b\u001b[2J"'}, plain)).toBe('    v: "a" → "b\\u001b[2J"')
    expect(changeLine({path: 'v', was: '1'}, plain)).toBe('    v: 1 (not produced)')
  })
})
