// fa status reads Avro tables as enrich does: rows decoded through the registry; a record whose
// schema id the registry does not know is no row.
import {describe, expect, inject, it} from 'vitest'

import {buildTopology} from '../../../src/lib/alerts/topology.js'
import {loadConfig} from '../../../src/lib/config/load.js'
import {connectAdmin, createKafka} from '../../../src/lib/kafka/client.js'
import {silentLogger} from '../../../src/lib/output/log.js'
import {frame} from '../../../src/lib/schema/codec.js'
import {decoderFromConfig} from '../../../src/lib/schema/decoder.js'
import {TablesAndCheckpoints} from '../../../src/lib/status/tables.js'
import {prefixedConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'
import {avroSchemas, encoderFor} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

describe('fa status on Schema Registry topics', () => {
  it('counts the rows of an Avro table (Avro keys) as enrich holds them', async () => {
    const cfg = prefixedConfig('schema-status', `schemaRegistry:\n  url: ${registryUrl}\n`)
    await createTopics(kafka, Object.values(cfg.topics), 1)
    const topic = cfg.topics.assignments
    const value = await encoderFor(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.assignments)
    const key = await encoderFor(registryUrl, `${topic}-key`, 'AVRO', avroSchemas.key)
    await producer.send({
      topic,
      acks: -1,
      messages: [
        ...['org-a', 'org-b'].map((orgId) => ({
          key: key.encode(orgId),
          value: value.encode({orgId, csdrEmail: `${orgId}@example.com`}),
        })),
        {key: 'org-c', value: frame(1_999_999_998, Buffer.from('{}'))},
      ],
    })
    const env = {KAFKA_BROKERS: brokers}
    const loaded = await loadConfig(cfg.file, env)
    const {config} = loaded
    const topology = await buildTopology(loaded)
    const client = await createKafka(config, {env})
    const admin = await connectAdmin(client, config)
    const tables = new TablesAndCheckpoints({
      kafka: client,
      admin,
      topology,
      checkpointsTopic: cfg.topics.checkpoints,
      producers: [],
      log: silentLogger,
      decoder: decoderFromConfig(config, (role) => topology.topic(role), silentLogger, env),
    })
    try {
      await tables.start()
      expect(tables.tableStatus().find((t) => t.topic === topic)).toMatchObject({rows: 2})
    } finally {
      await tables.stop()
      await admin.disconnect()
    }
  })
})
