import {describe, expect, it} from 'vitest'

import {buildTopology} from '../../../src/lib/alerts/topology.js'
import type {LoadedConfig} from '../../../src/lib/config/load.js'
import {configSchema} from '../../../src/lib/config/schema.js'

const loaded = (input: Record<string, unknown>) =>
  ({config: configSchema.parse(input), dir: process.cwd()}) as LoadedConfig

describe('buildTopology: formats', () => {
  it('takes roles, renamed or not, and the topic name of a role', async () => {
    await expect(
      buildTopology(
        loaded({topics: {notifications: 'n'}, formats: {notifications: 'avro', slackMessages: 'json', n: 'auto'}}),
      ),
    ).resolves.toBeDefined()
  })

  it('refuses a key that names no topic, naming it', async () => {
    await expect(buildTopology(loaded({formats: {notifcations: 'avro'}}))).rejects.toThrow(
      /^config key "formats\.notifcations": no topic has that role \(roles: notifications, /,
    )
    // A name every object has (its prototype's) is no role either.
    await expect(buildTopology(loaded({formats: {constructor: 'avro'}}))).rejects.toThrow(/"formats\.constructor"/)
  })
})
