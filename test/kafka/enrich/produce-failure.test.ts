// At-least-once, batches do not wait for their outputs (their offsets are committed once the
// outputs are acknowledged): a produce round that fails rewinds its partitions, so every event
// still gets its alert (some twice) and the run ends with nothing left to read.
import {Kafka, KafkaJSError, type ProducerBatch, type ProducerConfig} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {loadConfig} from '../../../src/lib/config/load.js'
import {runEnrich} from '../../../src/lib/enrich/run.js'
import {Topology} from '../../../src/lib/pipeline/topology.js'
import {Header} from '../../../src/lib/records/headers.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {prefixedConfig, readToEnd} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)
const EVENTS = 400

/** Fails the `nth` produce request to `topic` of every non-transactional producer made meanwhile. */
async function failingOnce<T>(topic: string, nth: number, run: () => Promise<T>): Promise<{value: T; failed: number}> {
  const original = Kafka.prototype.producer
  let calls = 0
  let failed = 0
  Kafka.prototype.producer = function (this: Kafka, config?: ProducerConfig) {
    const made = original.call(this, config)
    if (config?.transactionalId) return made
    const sendBatch = made.sendBatch.bind(made)
    made.sendBatch = async (batch: ProducerBatch) => {
      if (batch.topicMessages?.some((t) => t.topic === topic) && ++calls === nth) {
        failed++
        throw new KafkaJSError('injected: the broker said no', {retriable: false})
      }
      return sendBatch(batch)
    }
    return made
  }
  try {
    return {value: await run(), failed}
  } finally {
    Kafka.prototype.producer = original
  }
}

describe('enrich at-least-once, a failed produce', () => {
  it('rewinds the partitions it carried: no alert is lost and the group ends at the end offsets', async () => {
    const cfg = prefixedConfig('produce-failure')
    await createTopics(kafka, Object.values(cfg.topics), 2)
    await producer.send({
      topic: cfg.topics.slackUsers,
      acks: -1,
      messages: [{key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})}],
    })
    const orgs = ['org-a', 'org-b', 'org-c']
    await producer.send({
      topic: cfg.topics.assignments,
      acks: -1,
      messages: orgs.map((orgId) => ({
        key: orgId,
        value: JSON.stringify({orgId, orgName: orgId, csdrEmail: 'ann@example.com'}),
      })),
    })
    const event = (i: number) => ({
      key: orgs[i % orgs.length],
      value: JSON.stringify({
        eventId: `e${i}`,
        orgId: orgs[i % orgs.length],
        connectorId: `lcc-${i}`,
        oldStatus: 'Provisioning',
        newStatus: 'Failed',
        padding: 'x'.repeat(300),
      }),
    })
    // Many small record batches: the broker hands out whole ones, so the consumer's batches are small too.
    for (let i = 0; i < EVENTS; i += 10)
      await producer.send({
        topic: cfg.topics.notifications,
        acks: -1,
        messages: Array.from({length: 10}, (_, j) => event(i + j)),
      })
    const loaded = await loadConfig(cfg.file, env)
    // One alert per event and no state: the batches that do not wait for their outputs.
    const stateless = builtInAlerts
      .filter((a) => a.name === 'connector-provisioning-failed')
      .map((a) => ({...a, incidents: undefined, stateful: false}))
    const topology = new Topology(stateless, loaded.config.topics, buildSlackMessage)

    const {value: result, failed} = await failingOnce(cfg.topics.slackMessages, 3, () =>
      runEnrich({
        config: loaded.config,
        topology,
        group: `${cfg.prefix}g`,
        from: 'earliest',
        progress: false,
        env,
        // Small batches: many in flight when the produce fails.
        tuning: {maxBytesPerPartition: 4_096, maxWaitTimeInMs: 100},
      }),
    )

    expect(failed).toBe(1)
    expect(result).toMatchObject({stoppedBy: 'end', lag: {total: 0}})
    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    const sources = new Set(alerts.map((a) => `${a.headers[Header.sourcePartition]}@${a.headers[Header.sourceOffset]}`))
    expect(sources.size).toBe(EVENTS)
  })
})
