import fc from 'fast-check'
import {describe, expect, it, vi} from 'vitest'

import {pack, PackedContent, stateJson, unpacked, type StoredContent} from '../../../src/lib/pipeline/packed-content.js'

const text = fc.oneof(fc.string(), fc.constantFrom('', '-', '\0', 'a\0b', '7', 'é✅'), fc.string({unit: 'binary'}))
const pair = fc.record({label: text, value: text}).map(({label, value}) => ({label, value}))
/** Contents as alert types write them: keys in any order, optional parts absent, undefined or there. */
const content = fc
  .record(
    {
      recipient: text,
      header: text,
      text,
      fields: fc.option(fc.array(pair, {maxLength: 12}), {nil: undefined}),
      detail: fc.option(pair, {nil: undefined}),
      context: fc.option(fc.array(text, {maxLength: 4}), {nil: undefined}),
    },
    {requiredKeys: ['recipient', 'header', 'text']},
  )
  .chain((c) => fc.shuffledSubarray(Object.keys(c), {minLength: Object.keys(c).length}).map((keys) => ({c, keys})))
  .map(({c, keys}) => Object.fromEntries(keys.map((key) => [key, c[key as keyof typeof c]])) as StoredContent)

const sample: StoredContent = {
  recipient: 'U1',
  header: 'Connector failed',
  text: 'Connector *pg* failed',
  fields: [
    {label: 'Organization', value: 'Acme (org-1)'},
    {label: 'Type', value: 'PostgresCdcSource'},
  ],
  detail: undefined,
  context: ['Sent to Ann.'],
}

describe('packed incident content', () => {
  it('gives back the content as it was, and the same JSON, keys in their order', () => {
    fc.assert(
      fc.property(content, (c) => {
        const packed = pack(c)
        expect(JSON.stringify(packed)).toBe(JSON.stringify(c))
        expect(unpacked(packed)).toStrictEqual(c)
      }),
      {numRuns: 500},
    )
  })

  it("writes a state value's packed content as JSON.stringify writes the content, without unpacking it", () => {
    fc.assert(
      fc.property(content, fc.constantFrom({}, {alertId: 'fa-1', revision: 2, count: 3}), (c, incident) => {
        const packed = pack(c)
        expect(stateJson({...incident, content: packed})).toBe(JSON.stringify({...incident, content: c}))
      }),
      {numRuns: 500},
    )
    const packed = pack(sample) as PackedContent
    const unpack = vi.spyOn(packed, 'unpack')
    expect(JSON.parse(stateJson({alertId: 'fa-1', content: packed}))).toStrictEqual({
      alertId: 'fa-1',
      content: JSON.parse(JSON.stringify(sample)),
    })
    expect(unpack).not.toHaveBeenCalled()
    for (const value of [null, 3, 'x', {count: 1}, {content: 'text'}])
      expect(stateJson(value)).toBe(JSON.stringify(value))
  })

  it('packs what alert types write, into one string for all the text', () => {
    const packed = pack(sample)
    expect(packed).toBeInstanceOf(PackedContent)
    expect(unpacked(packed)).toStrictEqual(sample)
    expect(
      Object.values(packed).filter((part) => typeof part === 'string' && part.includes('Acme (org-1)')),
    ).toHaveLength(1)
  })

  it('keeps as it is a content it cannot pack: a number, null, an extra key, a pair with more keys', () => {
    const odd: StoredContent[] = [
      {...sample, fields: [{label: 'Count', value: 3}]},
      {...sample, fields: [{label: 'Count', value: null}]},
      {...sample, extra: 'x'} as StoredContent,
      {...sample, detail: {label: 'Error', value: 'boom', more: 1} as never},
      {...sample, detail: {value: 'boom', label: 'Error'}},
      {...sample, header: 'x'.repeat(70_000)},
    ]
    for (const c of odd) expect(pack(c)).toBe(c)
  })

  it('unpacks a content restored from JSON as it is', () => {
    const restored = JSON.parse(JSON.stringify(sample)) as StoredContent
    expect(unpacked(restored)).toBe(restored)
  })
})
