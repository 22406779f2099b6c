// --exactly-once refuses to start where the commit guard cannot install (no broker: it never connects).
import {describe, expect, it, vi} from 'vitest'

import type {Config} from '../../../src/lib/config/schema.js'
import {runEnrich} from '../../../src/lib/enrich/run.js'
import {FaError} from '../../../src/lib/errors.js'
import type {Topology} from '../../../src/lib/pipeline/topology.js'

vi.mock('../../../src/lib/kafka/patches/index.js', () => ({
  installKafkajsPatches: () => ({
    speedUp: {active: true},
    nodeWarnings: {active: true},
    commitGuard: {active: false, reason: 'kafkajs is 2.3.0, the guard is for 2.2.4'},
  }),
}))

describe('runEnrich --exactly-once without the commit guard', () => {
  it('refuses to start with a one-line FaError naming the reason and the fix', async () => {
    const config = {kafka: {brokers: ['127.0.0.1:1']}, enrich: {group: 'g', transactionalIdPrefix: 'fa'}}
    const run = runEnrich({
      config: config as unknown as Config,
      topology: {sourceTopics: [], tableTopics: []} as unknown as Topology,
      exactlyOnce: true,
    })
    const error = await run.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(FaError)
    expect((error as FaError).message).toBe(
      "--exactly-once needs fa's commit guard on kafkajs, which is not installed: kafkajs is 2.3.0, the guard is for 2.2.4",
    )
    expect((error as FaError).hint).toMatch(/npm ci.*without --exactly-once/)
    expect((error as FaError).exitCode).toBe(2)
  })
})
