import {describe, expect, it} from 'vitest'

import {defaultSettings, renderConfig} from '../../../src/lib/config/write.js'

describe('renderConfig', () => {
  it('never renders a config that holds the value of a credential variable', () => {
    const settings = {...defaultSettings(['127.0.0.1:9092']), group: 'leaked-secret-value'}
    expect(() => renderConfig(settings, {KAFKA_API_SECRET: 'leaked-secret-value'})).toThrow(
      /would contain the value of \$KAFKA_API_SECRET/,
    )
    expect(renderConfig(settings, {})).toContain('group: leaked-secret-value')
  })
})
