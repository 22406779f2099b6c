// kill -9 of `fa enrich --follow --exactly-once` at random points while repeated failures flow,
// ten times, then a final drain: every incident opened once, every update once, and each
// incident's last revision counts its events (the state restored from the changelog each time).
import {Kafka, logLevel} from 'kafkajs'
import {describe, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {enrichMembers} from '../../support/enrich-members.js'
import {flowEvents, prepareFlow, expectEveryRevisionOnce} from '../../support/event-flow.js'
import {readToEnd, runningProcesses} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-crash-incidents-test', brokers: [brokers], logLevel: logLevel.NOTHING})
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_BYTES_PER_PARTITION: '16384'}
const EVENTS = 6_000
const CONNECTORS = 50
const ORGS = 20
const KILLS = 10

const running = runningProcesses()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min))

describe('fa enrich --exactly-once with incidents, killed with SIGKILL and restarted', () => {
  it(`opens each incident once and applies each update once across ${KILLS} kills`, {timeout: 240_000}, async () => {
    const {cfg, group, producer} = await prepareFlow(kafka, 'crash-incidents', {env, orgs: ORGS})
    try {
      const flow = flowEvents(producer, cfg, {events: EVENTS, perTick: 25, orgs: ORGS, connectors: CONNECTORS})
      const flags = ['--exactly-once', '--instance', 'crash-incidents']
      const members = enrichMembers({cfg, group, env, running})
      for (let kill = 0; kill < KILLS; kill++) {
        const fa = members.start(flags)
        if (kill % 2 === 0) {
          await fa.waitForLog((l) => l.msg === 'joined the group', 60_000)
          await sleep(between(100, 900))
        } else {
          // Anywhere: start-up, restoring state, joining, or consuming.
          await sleep(between(300, 2_500))
        }
        await members.kill(fa)
      }
      await flow
      await members.drain(flags)

      expectEveryRevisionOnce(await readToEnd(kafka, [cfg.topics.slackMessages]), EVENTS, CONNECTORS)
    } finally {
      await producer.disconnect()
    }
  })
})
