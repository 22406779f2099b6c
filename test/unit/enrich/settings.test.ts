// A run's settings: without --follow, fetches wait briefly on idle partitions (the stop waits for them).
import {describe, expect, it} from 'vitest'

import type {Config} from '../../../src/lib/config/schema.js'
import {runSettings} from '../../../src/lib/enrich/settings.js'
import {defaultTuning} from '../../../src/lib/kafka/tuning.js'
import type {Topology} from '../../../src/lib/pipeline/topology.js'

const config = {
  kafka: {brokers: ['127.0.0.1:1']},
  enrich: {group: 'g', transactionalIdPrefix: 'fa'},
} as unknown as Config
const topology = {sourceTopics: [], tableTopics: []} as unknown as Topology

describe('runSettings', () => {
  it('caps the fetch wait of a drain at 100 ms and keeps the default when following', () => {
    expect(runSettings({config, topology}).tuning.maxWaitTimeInMs).toBe(100)
    expect(runSettings({config, topology, follow: true}).tuning.maxWaitTimeInMs).toBe(defaultTuning.maxWaitTimeInMs)
    expect(defaultTuning.maxWaitTimeInMs).toBeGreaterThan(100)
  })

  it('takes a fetch wait set in the tuning (FA_KAFKA_MAX_WAIT_MS) over the drain cap', () => {
    expect(runSettings({config, topology, tuning: {maxWaitTimeInMs: 300}}).tuning.maxWaitTimeInMs).toBe(300)
  })
})
