import {describe, expect, it} from 'vitest'

import {nearestTopic} from '../../../src/lib/replay/topic-names.js'

const known = ['notifications', 'data-notifications-pipeline', 'dev.data-onboarding-events', 'data-csdr-assignment']

describe('nearestTopic: what an unknown fixture topic most likely meant', () => {
  it.each([
    ['data-notifcations-pipeline', 'data-notifications-pipeline'], // a typo
    ['data-notifications', 'data-notifications-pipeline'], // its end cut off
    ['data-onboarding-events', 'dev.data-onboarding-events'], // its prefix missing
    ['orders', undefined],
    ['data', undefined], // too little of any name to tell
  ])('%s → %s', (name, near) => {
    expect(nearestTopic(name, known)).toBe(near)
  })

  it('has nothing to suggest without candidates', () => {
    expect(nearestTopic('x', [])).toBeUndefined()
  })
})
