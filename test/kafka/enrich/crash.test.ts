// kill -9 of `fa enrich --follow` at random points while events flow, then restart, several
// times: with --exactly-once a read_committed consumer sees every expected alert exactly once;
// at-least-once loses nothing (duplicates allowed).
import {Kafka, logLevel} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {enrichMembers} from '../../support/enrich-members.js'
import {alertsPerSource, flowEvents, prepareFlow} from '../../support/event-flow.js'
import {readToEnd, runningProcesses} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-crash-test', brokers: [brokers], logLevel: logLevel.NOTHING})
// Small fetches: many short batches and transactions, so a kill often lands between a write and its commit.
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_BYTES_PER_PARTITION: '65536'}
const EVENTS = 25_000
const ORGS = 40
const KILLS = 3

const running = runningProcesses()

async function readUncommittedCount(topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const consumer = kafka.consumer({
    groupId: `fa-test-uncommitted-${Date.now()}-${Math.random()}`,
    readUncommitted: true,
    maxWaitTimeInMs: 100,
  })
  let count = 0
  const pending = new Set(ends.filter((e) => Number(e.high) > 0).map((e) => e.partition))
  await consumer.connect()
  await consumer.subscribe({topic, fromBeginning: true})
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 20_000)
    consumer.on(consumer.events.END_BATCH_PROCESS, ({payload}) => {
      if (Number(payload.lastOffset) + 1 >= Number(ends.find((e) => e.partition === payload.partition)!.high))
        pending.delete(payload.partition)
      if (pending.size === 0) {
        clearTimeout(timer)
        resolve()
      }
    })
    void consumer.run({eachBatch: async ({batch}) => void (count += batch.messages.length)})
  })
  await Promise.race([consumer.disconnect(), sleep(10_000)])
  return count
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min))

describe.each([
  {guarantee: 'exactly-once', flags: ['--exactly-once', '--instance', 'crash-test']},
  {guarantee: 'at-least-once', flags: []},
])('fa enrich $guarantee killed with SIGKILL and restarted', ({guarantee, flags}) => {
  it(
    `${guarantee === 'exactly-once' ? 'writes every alert exactly once' : 'loses no alert'} across ${KILLS} kills`,
    {timeout: 150_000},
    async () => {
      const {cfg, group, producer} = await prepareFlow(kafka, `crash-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, {
        env,
        orgs: ORGS,
      })
      try {
        // Events flow the whole time (100 every 100 ms, every one of them an alert), and pile up
        // while fa is down, so a restarted fa is busy with a backlog when the next kill comes.
        const flow = flowEvents(producer, cfg, {events: EVENTS, perTick: 100, orgs: ORGS})

        await sleep(2_000)
        const members = enrichMembers({cfg, group, env, running})
        let killedWhileConsuming = 0
        for (let kill = 0; kill < KILLS; kill++) {
          const fa = members.start(flags)
          if (kill < KILLS - 1) {
            // In the middle of the work: after it joined the group, at a random moment.
            await fa.waitForLog((l) => l.msg === 'joined the group', 60_000)
            await sleep(between(100, 700))
            killedWhileConsuming++
          } else {
            // Anywhere: start-up, table loading, joining, or consuming.
            await sleep(between(300, 2_500))
          }
          await members.kill(fa)
        }
        await flow
        expect(killedWhileConsuming).toBe(KILLS - 1)

        // The last incarnation runs to the end offsets and exits.
        expect((await members.drain(flags)).lag.total).toBe(0)

        const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
        const bySource = alertsPerSource(alerts)
        const alertIds = new Set(alerts.map((a) => a.headers['fa-alert-id']))
        // Every event produced its alert...
        expect(bySource.size).toBe(EVENTS)
        expect(alertIds.size).toBe(EVENTS)
        if (guarantee === 'exactly-once') {
          // ...exactly once, for a read_committed consumer.
          expect(alerts).toHaveLength(EVENTS)
          expect([...bySource.values()].every((n) => n === 1)).toBe(true)
        } else {
          expect(alerts.length).toBeGreaterThanOrEqual(EVENTS)
        }
        // What a read_uncommitted consumer sees beyond that: writes of transactions a kill left open (aborted on restart).
        const uncommitted = await readUncommittedCount(cfg.topics.slackMessages)
        console.info(
          `${guarantee}: ${EVENTS} events, ${alerts.length} alerts (${alerts.length - EVENTS} duplicates) after ${KILLS} kills; ${uncommitted - alerts.length} aborted writes`,
        )
        expect((await readToEnd(kafka, [cfg.topics.deadLetters])).length).toBe(0)
      } finally {
        await producer.disconnect()
      }
    },
  )
})
