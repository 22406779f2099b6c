// Scale-out with incidents: `fa enrich --follow --exactly-once` members join and leave one group
// while repeated failures flow; partitions gained carry their state (restored from the changelog
// at each join), so every incident is opened once and every revision written once.
import {Kafka, logLevel} from 'kafkajs'
import {describe, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {enrichMembers, joinAndLeave} from '../../support/enrich-members.js'
import {flowEvents, prepareFlow, expectEveryRevisionOnce} from '../../support/event-flow.js'
import {readToEnd, runningProcesses} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-scale-incidents-test', brokers: [brokers], logLevel: logLevel.NOTHING})
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_BYTES_PER_PARTITION: '16384'}
const EVENTS = 8_000
const CONNECTORS = 40
const ORGS = 20

const running = runningProcesses()

describe('fa enrich --exactly-once with incidents: members join and leave while events flow', () => {
  it('opens each incident once and writes each revision once across rebalances', {timeout: 180_000}, async () => {
    const {cfg, group, producer} = await prepareFlow(kafka, 'scale-incidents', {
      env,
      orgs: ORGS,
      config: 'kafka:\n  partitions: 6\n',
    })
    try {
      const flow = flowEvents(producer, cfg, {events: EVENTS, perTick: 100, orgs: ORGS, connectors: CONNECTORS})
      const members = enrichMembers({cfg, group, env, running})
      const eos = (instance: string) => ['--exactly-once', '--instance', instance]
      const {b, c} = await joinAndLeave(members, eos)
      await flow
      await Promise.all([members.stop(b), members.stop(c)])
      await members.drain(eos('final'))

      expectEveryRevisionOnce(await readToEnd(kafka, [cfg.topics.slackMessages]), EVENTS, CONNECTORS)
    } finally {
      await producer.disconnect()
    }
  })
})
