// A Schema Registry that refuses fa's credentials (401/403) stops the run with that one-line
// error: no retry helps. Retried instead, a table's bootstrap was taken as read after its stall
// timeout (an empty table: every event "unassigned", committed), and a source batch was retried for ever.
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {frame} from '../../../src/lib/schema/codec.js'
import {RegistryAuthFailed} from '../../../src/lib/schema/registry.js'
import {runFa} from '../../support/cli.js'
import {enrichOnce, enrichRun} from '../../support/enrich-once.js'
import {prefixedConfig, readToEnd, type TestConfig} from '../../support/fa-process.js'
import {createTopics, fileProducer, testKafka} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const env = {KAFKA_BROKERS: brokers}
const kafka = testKafka(brokers)
const producer = fileProducer(kafka)

let registry: http.Server
let registryUrl: string
const requests: string[] = []
beforeAll(async () => {
  registry = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    res.writeHead(403, {'content-type': 'application/json'})
    res.end(JSON.stringify({error_code: 40301, message: 'User is denied operation Read on Subject'}))
  })
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve))
  registryUrl = `http://127.0.0.1:${(registry.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => registry.close(() => resolve())))

const event = (orgId: string) => ({eventId: `e-${orgId}`, orgId, connectorId: `lcc-${orgId}`, newStatus: 'Failed'})
/** Any framed bytes: the registry never answers with their schema. */
const framed = (value: unknown) => frame(1, Buffer.from(JSON.stringify(value)))

async function setUp(what: string): Promise<TestConfig> {
  const cfg = prefixedConfig(what, `schemaRegistry:\n  url: ${registryUrl}\n`)
  await createTopics(kafka, Object.values(cfg.topics), 1)
  await producer.send({
    topic: cfg.topics.slackUsers,
    messages: [{key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})}],
  })
  return cfg
}

describe('Schema Registry formats: refused credentials', () => {
  it('while the tables load: the run stops with the error, no event is taken as unassigned', async () => {
    const cfg = await setUp('schema-auth-tables')
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: framed({orgId: 'org-a', csdrEmail: 'ann@example.com'})}],
    })
    await producer.send({
      topic: cfg.topics.notifications,
      messages: [{key: 'org-a', value: JSON.stringify(event('org-a'))}],
    })
    requests.length = 0
    const started = Date.now()
    await expect(enrichOnce(cfg, env)).rejects.toThrow(RegistryAuthFailed)
    expect(Date.now() - started).toBeLessThan(9_000) // before the table's stall timeout (10 s)
    expect(requests).toContain('GET /schemas/ids/1')
    expect(await readToEnd(kafka, [cfg.topics.deadLetters])).toHaveLength(0)
    // Nothing consumed: the event is still there for the next run (the group's start is committed, at 0).
    const admin = kafka.admin()
    await admin.connect()
    try {
      const [offsets] = await admin.fetchOffsets({groupId: `${cfg.prefix}g`, topics: [cfg.topics.notifications]})
      expect(offsets!.partitions.map((p) => Math.max(0, Number(p.offset)))).toEqual([0])
    } finally {
      await admin.disconnect()
    }
  }, 60_000)

  it('following, on a table record after the tables loaded: the daemon stops with the error', async () => {
    const cfg = await setUp('schema-auth-follow')
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: JSON.stringify({orgId: 'org-a', csdrEmail: 'ann@example.com'})}],
    })
    const stop = new AbortController()
    const {running} = await enrichRun(cfg, env, {
      follow: true,
      signal: stop.signal,
      beforeJoin: async () => {
        // Loaded: the table's next record is one the registry will not let fa read.
        await producer.send({
          topic: cfg.topics.assignments,
          messages: [{key: 'org-b', value: framed({orgId: 'org-b'})}],
        })
      },
    })
    const stopAnyway = setTimeout(() => stop.abort(), 30_000)
    try {
      await expect(running).rejects.toThrow(RegistryAuthFailed)
    } finally {
      clearTimeout(stopAnyway)
    }
  }, 60_000)

  it('fa status on a table record: the registry refusal, not a Kafka failure with a broker hint', async () => {
    const cfg = await setUp('schema-auth-status')
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: framed({orgId: 'org-a', csdrEmail: 'ann@example.com'})}],
    })
    // The config's registry, not one SCHEMA_REGISTRY_URL may name.
    const result = await runFa(['status', '--config', cfg.file], {env: {...env, SCHEMA_REGISTRY_URL: ''}})
    expect(result.stderr).toContain(`Schema Registry ${registryUrl} refused the credentials (403)`)
    expect(result.stderr).toContain('schemaRegistry.usernameEnv')
    expect(result.stderr).not.toContain('kafka.brokers')
    expect(result.code).toBe(2)
  }, 60_000)

  it('on a source record: the run stops with the error instead of retrying the batch', async () => {
    const cfg = await setUp('schema-auth-source')
    await producer.send({
      topic: cfg.topics.assignments,
      messages: [{key: 'org-a', value: JSON.stringify({orgId: 'org-a', csdrEmail: 'ann@example.com'})}],
    })
    await producer.send({topic: cfg.topics.notifications, messages: [{key: 'org-a', value: framed(event('org-a'))}]})
    const started = Date.now()
    await expect(enrichOnce(cfg, env)).rejects.toThrow(RegistryAuthFailed)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(await readToEnd(kafka, [cfg.topics.deadLetters, cfg.topics.slackMessages])).toHaveLength(0)
  }, 60_000)
})
