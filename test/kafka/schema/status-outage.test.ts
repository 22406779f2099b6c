// fa status is a look, not a consumer: a Schema Registry that is down ends it with the registry's
// error once its patience is spent. It waited for ever, silently (its log shows errors only).
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {frame} from '../../../src/lib/schema/codec.js'
import {runFa} from '../../support/cli.js'
import {prefixedConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)
let registry: http.Server
let registryUrl: string

beforeAll(async () => {
  registry = http.createServer((_, res) => {
    res.writeHead(503, {'content-type': 'application/json'})
    res.end(JSON.stringify({error_code: 50301, message: 'unavailable'}))
  })
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())))

describe('fa status while the Schema Registry is down', () => {
  it('ends with the registry error, naming the topic and schema id, instead of waiting for ever', async () => {
    const cfg = prefixedConfig('status-outage', `schemaRegistry:\n  url: ${registryUrl}\n`)
    await createTopics(kafka, Object.values(cfg.topics), 1)
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: frame(9, Buffer.from('{}'))}],
    })
    const started = Date.now()
    const result = await runFa(['status', '--config', cfg.file], {
      env: {KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: ''},
    })
    expect(result.stderr).toContain(`Schema Registry ${registryUrl} answered 503`)
    expect(result.stderr).toContain(`topic ${cfg.topics.assignments}, schema id 9`)
    expect(result.code).not.toBe(0)
    expect(Date.now() - started).toBeLessThan(45_000)
  }, 90_000)
})
