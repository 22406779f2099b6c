// Scale-out while events flow: `fa enrich --follow` instances join and leave one group, so its
// partitions move between live members (rebalances, not crashes). With --exactly-once a
// read_committed consumer still sees every alert exactly once; at-least-once loses nothing.
import {Kafka, logLevel} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {enrichMembers, joinAndLeave} from '../../support/enrich-members.js'
import {alertsPerSource, flowEvents, prepareFlow} from '../../support/event-flow.js'
import {readToEnd, runningProcesses, type FaProcess} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-scale-out-test', brokers: [brokers], logLevel: logLevel.NOTHING})
// Small fetches: many short batches (and transactions) in flight when a rebalance starts.
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_BYTES_PER_PARTITION: '65536'}
const EVENTS = 30_000
const ORGS = 40

const running = runningProcesses()

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe.each([
  {guarantee: 'exactly-once', flags: (instance: string) => ['--exactly-once', '--instance', instance]},
  {guarantee: 'at-least-once', flags: () => []},
])('fa enrich $guarantee: members join and leave while events flow', ({guarantee, flags}) => {
  it(
    `${guarantee === 'exactly-once' ? 'writes every alert exactly once' : 'loses no alert'} across rebalances`,
    {timeout: 120_000},
    async () => {
      const {cfg, group, producer} = await prepareFlow(kafka, `scale-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, {
        env,
        orgs: ORGS,
        config: 'kafka:\n  partitions: 6\n',
      })
      try {
        // 400 events (every one an alert) every 100 ms for the whole test: the members are busy
        // with batches and open transactions whenever the group rebalances.
        const flow = flowEvents(producer, cfg, {events: EVENTS, perTick: 400, orgs: ORGS})

        const members = enrichMembers({cfg, group, env, running})
        const joins = (fa: FaProcess) => fa.logs.filter((l) => l.msg === 'joined the group').length

        const {a, b, c} = await joinAndLeave(members, flags)
        await sleep(2_000)
        await flow
        // Both were still in the group when c joined: the group rebalanced with work in flight.
        expect(joins(b)).toBeGreaterThanOrEqual(2)
        expect(joins(a)).toBeGreaterThanOrEqual(2)
        await Promise.all([members.stop(b), members.stop(c)])

        expect((await members.drain(flags('final'))).lag.total).toBe(0)

        const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
        const bySource = alertsPerSource(alerts)
        expect(bySource.size).toBe(EVENTS)
        if (guarantee === 'exactly-once') {
          expect(alerts).toHaveLength(EVENTS)
          expect([...bySource.values()].every((n) => n === 1)).toBe(true)
        } else {
          expect(alerts.length).toBeGreaterThanOrEqual(EVENTS)
        }
        console.info(
          `${guarantee}: ${EVENTS} events, ${alerts.length} alerts (${alerts.length - EVENTS} duplicates) across 3 rebalances`,
        )
      } finally {
        await producer.disconnect()
      }
    },
  )
})

describe('fa enrich --exactly-once: a member that stalls past its session timeout (a zombie)', () => {
  it('cannot commit a batch its successor processed too', {timeout: 180_000}, async () => {
    const {cfg, group, producer} = await prepareFlow(kafka, 'zombie', {
      env,
      orgs: ORGS,
      config: 'kafka:\n  partitions: 6\n',
    })
    try {
      const events = 60_000
      const flow = flowEvents(producer, cfg, {events, perTick: 400, orgs: ORGS})
      const members = enrichMembers({cfg, group, env, running})
      const a = await members.joined(['--exactly-once', '--instance', 'a'])
      const b = await members.joined(['--exactly-once', '--instance', 'b'])
      // Freeze a while it works (mid-transaction, most likely): the group expels it after the
      // session timeout and b takes its partitions, then a wakes up and goes on where it was.
      for (let round = 0; round < 3; round++) {
        await sleep(1_000 + Math.floor(Math.random() * 500))
        a.child.kill('SIGSTOP')
        await sleep(9_000)
        a.child.kill('SIGCONT')
      }
      await flow
      for (const fa of [a, b]) {
        fa.child.kill('SIGTERM')
        await fa.exited
        running.delete(fa)
      }
      expect((await members.drain(['--exactly-once', '--instance', 'final'])).lag.total).toBe(0)
      const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
      const bySource = alertsPerSource(alerts)
      // a woke up with batches in flight at least once, and threw them away rather than commit them.
      const refused = a.logs.filter((l) =>
        /was expelled from group|may have been expelled/.test(JSON.stringify(l)),
      ).length
      console.info(
        `zombie: ${events} events, ${alerts.length} alerts (${alerts.length - events} duplicates); ${refused} stale commits refused`,
      )
      expect(refused).toBeGreaterThan(0)
      expect(bySource.size).toBe(events)
      expect(alerts).toHaveLength(events)
    } finally {
      await producer.disconnect()
    }
  })
})
