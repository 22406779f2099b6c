import {describe, expect, it} from 'vitest'

import {closestName, unknownFlags} from '../../../src/lib/cli/suggest.js'

describe('suggestions', () => {
  it('the closest name when it is close enough, else none', () => {
    expect(closestName('sedn', ['send', 'replay', 'enrich'])).toBe('send')
    expect(closestName('topics:creat', ['topics:create', 'init'])).toBe('topics:create')
    expect(closestName('zzzzzzzz', ['send', 'replay'])).toBeUndefined()
  })

  it('names the closest flag of the command; no guess for one letter', () => {
    const flags = {'dry-run': {}, follow: {char: 'f'}, secret: {hidden: true}}
    expect(unknownFlags(['--dryrun'], flags)).toBe('unknown flag --dryrun: did you mean --dry-run?')
    expect(unknownFlags(['--folow=1', '-x'], flags)).toBe(
      'unknown flag --folow: did you mean --follow?; unknown flag -x',
    )
    expect(unknownFlags(['--secre'], flags)).toBe('unknown flag --secre')
  })
})
