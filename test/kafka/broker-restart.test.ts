// A broker restart under a running `fa enrich --follow --exactly-once`: it logs, retries with
// backoff, keeps running, and once the broker is back every alert is there exactly once.
// Uses a broker of its own (not the shared test broker), which it stops and starts again.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Kafka, logLevel, Partitioners, type Producer} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startBroker, stopBroker} from '../../scripts/kafka.mjs'
import {silenceKafkajsTimeoutWarning} from '../../src/lib/kafka/patches/node-warnings.js'
import {runFa} from '../support/cli.js'
import {prefixedConfig, readToEnd, startFa, type FaProcess} from '../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

let dir: string
let brokers: string
let fa: FaProcess | undefined

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fa-restart-broker-'))
  brokers = (await startBroker({dir})).bootstrap
}, 120_000)

afterAll(async () => {
  fa?.child.kill('SIGKILL')
  await stopBroker(dir)
  rmSync(dir, {recursive: true, force: true})
}, 60_000)

describe('fa enrich --follow --exactly-once across a broker restart', () => {
  it('keeps running, retries, and writes every alert exactly once', {timeout: 180_000}, async () => {
    const env = {KAFKA_BROKERS: brokers}
    const kafka = () => new Kafka({clientId: 'fa-restart-test', brokers: [brokers], logLevel: logLevel.NOTHING})
    const cfg = prefixedConfig('restart')
    const created = await runFa(['topics', 'create', '-c', cfg.file], {env})
    expect(created.code, created.stderr).toBe(0)

    const connect = async (): Promise<Producer> => {
      // Idempotent: a send retried while the broker comes back must not write events twice, or
      // their alerts would be doubled too and fa blamed for it.
      const producer = kafka().producer({
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        idempotent: true,
        maxInFlightRequests: 1,
      })
      await producer.connect()
      return producer
    }
    let sent = 0
    const sendEvents = async (producer: Producer, n: number) => {
      const messages = Array.from({length: n}, () => {
        const i = sent++
        return {
          key: `org-${i % 5}`,
          value: JSON.stringify({
            eventId: `evt-${i}`,
            orgId: `org-${i % 5}`,
            connectorId: `lcc-${i}`,
            oldStatus: 'Provisioning',
          }),
        }
      })
      await producer.send({topic: cfg.topics.notifications, acks: -1, messages})
    }

    let producer = await connect()
    await producer.send({
      topic: cfg.topics.slackUsers,
      acks: -1,
      messages: [{key: 'c@example.com', value: JSON.stringify({email: 'c@example.com', slackUserId: 'UC'})}],
    })
    await producer.send({
      topic: cfg.topics.assignments,
      acks: -1,
      messages: Array.from({length: 5}, (_, i) => ({
        key: `org-${i}`,
        value: JSON.stringify({orgId: `org-${i}`, csdrEmail: 'c@example.com'}),
      })),
    })
    await sendEvents(producer, 200)

    fa = startFa(
      [
        'enrich',
        '--from',
        'earliest',
        '--follow',
        '--exactly-once',
        '--instance',
        'restart',
        '-c',
        cfg.file,
        '--group',
        `${cfg.prefix}g`,
      ],
      env,
    )
    await fa.waitForLog((l) => l.msg === 'joined the group')
    await sleep(1_000)
    await producer.disconnect()

    // Down for a few seconds, then back on the same port.
    expect(await stopBroker(dir)).toBe(true)
    await sleep(4_000)
    expect((await startBroker({dir})).bootstrap).toBe(brokers)

    producer = await connect()
    await sendEvents(producer, 200)
    await producer.disconnect()

    // Each event is on the topic once: what follows is fa's doing.
    expect(await readToEnd(kafka(), [cfg.topics.notifications])).toHaveLength(sent)
    // Everything arrives, once, while the same process keeps running.
    const deadline = Date.now() + 90_000
    const distinct = (records: Array<{headers: Record<string, string>}>) =>
      new Set(records.map((a) => a.headers['fa-alert-id'])).size
    let alerts = await readToEnd(kafka(), [cfg.topics.slackMessages])
    while (distinct(alerts) < sent && Date.now() < deadline) {
      await sleep(1_000)
      alerts = await readToEnd(kafka(), [cfg.topics.slackMessages])
    }
    expect(fa.child.exitCode).toBeNull()
    expect(distinct(alerts)).toBe(sent)
    // On a failure, what fa logged says which partition was read twice and why.
    const story = fa.logs.filter(
      (l) => l.level !== 'debug' && !/ECONNREFUSED|seed broker|Connection error/.test(String(l.msg)),
    )
    expect(
      alerts,
      story
        .map((l) => JSON.stringify(l))
        .join('\n')
        .slice(-8000),
    ).toHaveLength(sent)
    // The outage was noticed and logged, as warnings, not as a crash.
    expect(fa.logs.some((l) => l.level === 'warn')).toBe(true)

    fa.child.kill('SIGTERM')
    const {code} = await fa.exited
    expect(code, fa.stderr().slice(-3000)).toBe(0)
    fa = undefined
  })
})
