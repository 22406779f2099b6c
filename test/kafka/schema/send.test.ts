// fa send reads slack-messages written in a Schema Registry format (here JSON Schema) beside
// plain JSON ones; a message whose schema id the registry does not know is a dead letter.
import {afterEach, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {runSend} from '../../../src/lib/send/run.js'
import {connectSlack} from '../../../src/lib/send/slack.js'
import {frame} from '../../../src/lib/schema/codec.js'
import {testKafka} from '../../support/kafka-io.js'
import {alert, produceAlerts, readTopic, sendConfig, TOKEN} from '../../support/send.js'
import {startSlackServer, type SlackServer} from '../../support/slack-server.js'
import {register} from '../../support/registry.js'

const brokers = inject('kafkaBrokers')
const registryUrl = inject('schemaRegistryUrl')
const kafka = testKafka(brokers)
const tuning = {sessionTimeout: 3_000, heartbeatInterval: 500, rebalanceTimeout: 6_000, maxWaitTimeInMs: 100}

const servers: SlackServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

describe('fa send on Schema Registry formats', () => {
  it('delivers JSON Schema framed alerts and plain JSON ones; an unknown schema id is a dead letter', async () => {
    const server = await startSlackServer({token: TOKEN})
    servers.push(server)
    const setup = await sendConfig(kafka, 'schema-send', {apiUrl: server.url})
    const env = {...setup.env, KAFKA_BROKERS: brokers, SCHEMA_REGISTRY_URL: registryUrl}
    const {config} = await loadConfig(setup.file, env)
    const id = await register(registryUrl, `${setup.topics.messages}-value`, 'JSON', {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['alertId', 'channel', 'text'],
    })
    const framed = alert('schema-framed', 'C0AAA')
    const unknown = alert('schema-unknown', 'C0AAA')
    await produceAlerts(
      kafka,
      setup.topics.messages,
      [alert('schema-plain', 'C0BBB')],
      [
        {key: framed.alertId, value: frame(id, Buffer.from(JSON.stringify(framed)))},
        {key: unknown.alertId, value: frame(1_999_999_999, Buffer.from(JSON.stringify(unknown)))},
      ],
    )

    const slack = await connectSlack(config, {env})
    const result = await runSend({config, env, tuning, createDeliverer: slack.createDeliverer})
    expect(result.error).toBeUndefined()
    expect(result.counts).toMatchObject({read: 3, delivered: 2, invalid: 1})
    expect(server.postsFor('schema-framed')).toHaveLength(1)
    expect(server.postsFor('schema-plain')).toHaveLength(1)
    const dead = await readTopic(kafka, setup.topics.deadLetters)
    expect(dead).toHaveLength(1)
    expect(dead[0]!.headers['fa-error']).toMatch(/value schema id 1999999999: not found in the Schema Registry/)
  })
})
