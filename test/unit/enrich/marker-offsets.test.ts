import {describe, expect, it} from 'vitest'

import {MarkerOffsets} from '../../../src/lib/enrich/marker-offsets.js'

const at = (partition: number, offset: number) => ({topic: 'r', partition, offset: String(offset)})

describe('MarkerOffsets', () => {
  it('keeps the markers past what the member committed, for that member, until taken, superseded or forgotten', () => {
    const markers = new MarkerOffsets()
    markers.saw('r/0', at(0, 10), 'm1', 9n)
    markers.saw('r/1', at(1, 5), 'm1', 5n) // already committed that far: nothing to do
    markers.saw('r/2', at(2, 7), 'm2', undefined)
    markers.saw('r/3', at(3, 4), 'm1', undefined)
    markers.superseded('r/3') // a batch of records of r/3 commits further itself
    expect(markers.members()).toEqual(['m1', 'm2'])
    expect(markers.take('m2')).toEqual([at(2, 7)])
    expect(markers.take('m2')).toEqual([])
    expect(markers.take('m1')).toEqual([at(0, 10)])
    markers.saw('r/0', at(0, 12), 'm1', 10n)
    markers.forget()
    expect(markers.members()).toEqual([])
  })
})
