// fa send reads slack-messages written in a Schema Registry format (here JSON Schema) beside
// plain JSON ones; a message whose schema id the registry does not know is a dead letter. A
// registry that is down when send --follow starts with its responses pinned is waited for.
import {appendFileSync} from 'node:fs'
import net from 'node:net'
import {Writable} from 'node:stream'

import {afterEach, describe, expect, inject, it} from 'vitest'

import {freePort} from '../../../scripts/daemon.mjs'

import {createLogger} from '../../../src/lib/output/log.js'

import {loadConfig} from '../../../src/lib/config/load.js'
import {runSend} from '../../../src/lib/send/run.js'
import {connectSlack} from '../../../src/lib/send/slack.js'
import {frame} from '../../../src/lib/schema/codec.js'
import {testKafka} from '../../support/kafka-io.js'
import {alert, produceAlerts, readTopic, sendConfig, TOKEN, until} from '../../support/send.js'
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

describe('fa send --follow with slack-responses pinned to Avro', () => {
  it('waits for a registry that is down at start, then delivers and records the response in Avro', async () => {
    const server = await startSlackServer({token: TOKEN})
    servers.push(server)
    const setup = await sendConfig(kafka, 'schema-send-down', {apiUrl: server.url})
    appendFileSync(setup.file, 'formats:\n  slackResponses: avro\n')
    // A port nothing listens on yet; later a proxy to the real registry opens on it.
    const port = await freePort()
    const upstream = new URL(registryUrl)
    const env = {
      ...setup.env,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: `http://127.0.0.1:${port}${upstream.pathname}`,
    }
    const {config} = await loadConfig(setup.file, env)
    let logged = ''
    const stream = new Writable({write: (chunk, _encoding, done) => ((logged += String(chunk)), done())})
    const log = createLogger({format: 'json', level: 'warn', stream, env: {}})
    const stop = new AbortController()
    const slack = await connectSlack(config, {env})
    const running = runSend({
      config,
      env,
      tuning,
      log,
      follow: true,
      signal: stop.signal,
      createDeliverer: slack.createDeliverer,
    })
    let proxy: net.Server | undefined
    try {
      await until(() => logged.includes('looking up the slack-responses schema failed; retrying'), 10_000, 'a retry')
      proxy = net
        .createServer((socket) => {
          const to = net.connect(Number(upstream.port), upstream.hostname)
          socket.pipe(to).pipe(socket)
          socket.on('error', () => to.destroy())
          to.on('error', () => socket.destroy())
        })
        .listen(port, '127.0.0.1')
      await produceAlerts(kafka, setup.topics.messages, [alert('schema-down', 'C0AAA')])
      await until(() => server.postsFor('schema-down').length === 1, 30_000, 'the post')
      // Recorded once posted: the response may land a moment after the post.
      let responses: Awaited<ReturnType<typeof readTopic>> = []
      await until(
        async () => (responses = await readTopic(kafka, setup.topics.responses)).length > 0,
        10_000,
        'the response',
      )
      expect(responses).toHaveLength(1)
      expect(responses[0]!.value?.[0]).toBe(0)
    } finally {
      stop.abort()
      const result = await running
      proxy?.close()
      expect(result.error).toBeUndefined()
    }
  })
})
