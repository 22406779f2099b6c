// kafkajs' DefaultPartitioner against the partitions the Java client picks (on the broker: test/kafka/harness.test.ts).
import {Partitioners} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {JAVA_PARTITIONS} from '../../support/java-partitions.js'

describe('kafkajs DefaultPartitioner matches the Java client (murmur2)', () => {
  it.each([3, 12])('picks the Java partitions for %i partitions (pure function)', (n) => {
    const partitioner = Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({length: n}, (_, partitionId) => ({
      partitionId,
      leader: 1,
      partitionErrorCode: 0,
      replicas: [1],
      isr: [1],
    }))
    for (const {key, p3, p12} of JAVA_PARTITIONS) {
      const partition = partitioner({topic: 't', partitionMetadata, message: {key, value: 'x'}})
      expect(partition, key).toBe(n === 3 ? p3 : p12)
    }
  })
})
