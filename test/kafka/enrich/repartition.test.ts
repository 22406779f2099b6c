// Repartitioning: one connector's events arrive on several partitions (unkeyed, spread in turn).
// Members of one group join and leave while they flow: every incident is opened once and every
// revision written once, and records without a state key reach their dead letter exactly once.
// On a fixture with repeats and recoveries produced the same way, two cron instances in one
// group write what replay --dry-run gives.
import {writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Kafka, logLevel} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {runFa} from '../../support/cli.js'
import {enrichMembers} from '../../support/enrich-members.js'
import {expectEveryRevisionOnce, flowEvents, prepareFlow} from '../../support/event-flow.js'
import {readToEnd, runningProcesses, type ReadRecord} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-repartition-test', brokers: [brokers], logLevel: logLevel.NOTHING})
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_BYTES_PER_PARTITION: '16384'}
const PARTITIONS = 6
const partitionsConfig = `kafka:\n  partitions: ${PARTITIONS}\n`

const running = runningProcesses()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const eos = (instance: string) => ['--exactly-once', '--instance', instance]

describe('fa enrich with repartitioning: a state key on several source partitions', () => {
  it(
    'opens each incident once and writes each revision once while members join and leave',
    {timeout: 240_000},
    async () => {
      // 35 connectors over 6 partitions in turn: each connector's events on every partition.
      const EVENTS = 6_300
      const CONNECTORS = 35
      const ORGS = 20
      const {cfg, producer} = await prepareFlow(kafka, 'repart-scale', {
        env,
        orgs: ORGS,
        config: partitionsConfig,
      })
      try {
        // Not the config's enrich group: fa enrich creates its repartition topics itself.
        const group = `${cfg.prefix}members`
        const members = enrichMembers({cfg, group, env, running})
        const a = await members.joined(eos('a'))
        // Members come and go while the flow lasts (some 15 s): a and b, then b and c, share the partitions.
        const flow = flowEvents(producer, cfg, {
          events: EVENTS,
          perTick: 40,
          orgs: ORGS,
          connectors: CONNECTORS,
          spread: PARTITIONS,
        })
        const b = await members.joined(eos('b'))
        // Records no state key can be derived from, among the flow: a dead letter each, once.
        const bad = Array.from({length: 24}, (_, i) => ({
          key: null,
          partition: i % PARTITIONS,
          value:
            i % 2 ? `not json ${i}` : JSON.stringify({eventId: `bad-${i}`, orgId: 'org-1', oldStatus: 'Provisioning'}),
        }))
        await producer.send({topic: cfg.topics.notifications, acks: -1, messages: bad})
        await sleep(3_000)
        await members.stop(a)
        const c = await members.joined(eos('c'))
        await flow
        await Promise.all([members.stop(b), members.stop(c)])
        expect((await members.drain(eos('final'))).lag.total).toBe(0)

        const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
        expectEveryRevisionOnce(alerts, EVENTS, CONNECTORS)
        const last = alerts.filter((r) => JSON.parse(r.value!).revision === EVENTS / CONNECTORS - 1)
        expect(last).toHaveLength(CONNECTORS)
        for (const alert of last) expect(alert.value).toContain(`Seen ${EVENTS / CONNECTORS} times`)

        const letters = await readToEnd(kafka, [cfg.topics.deadLetters])
        expect(letters.map((r) => r.value).sort()).toEqual(bad.map((m) => m.value).sort())
        for (const letter of letters) {
          expect(letter.key).toBeNull()
          expect(letter.headers['fa-source-topic']).toBe(cfg.topics.notifications)
          expect(letter.headers['fa-error']).toMatch(
            /^(value is not valid JSON|connectorId: must be a non-empty string)/,
          )
          expect(Object.keys(letter.headers).filter((h) => h.startsWith('fa-repartition'))).toEqual([])
        }

        const admin = kafka.admin()
        await admin.connect()
        const topic = `${group}-connector-provisioning-failed-repartition`
        const {topics} = await admin.fetchTopicMetadata({topics: [topic]})
        // What the group processed is deleted (the topic has no time-based retention): all of it, after the final run.
        const offsets = await admin.fetchTopicOffsets(topic)
        await admin.disconnect()
        expect(topics[0]!.partitions).toHaveLength(PARTITIONS)
        for (const {low, high} of offsets) expect(Number(high) - Number(low)).toBeLessThanOrEqual(1)
        expect(offsets.reduce((n, p) => n + Number(p.low), 0)).toBeGreaterThan(EVENTS / 2)
      } finally {
        await producer.disconnect()
      }
    },
  )

  it('gives what replay --dry-run gives, with two cron instances in one group', {timeout: 240_000}, async () => {
    const CONNECTORS = 12
    const ROUNDS = 5
    const ORGS = 4
    const {cfg, group, producer} = await prepareFlow(kafka, 'repart-parity', {
      env,
      orgs: ORGS,
      config: partitionsConfig,
    })
    const members = enrichMembers({cfg, group, env, running})
    try {
      const t0 = Date.parse('2026-11-24T10:00:00Z')
      // Round by round, one event per connector: failures, and recoveries (then failures inside the window).
      const rounds = Array.from({length: ROUNDS}, (_, r) =>
        Array.from({length: CONNECTORS}, (_, c) => {
          const recovers = (c % 3 === 0 && r === 2) || (c % 3 === 1 && r === 4)
          const value = {
            eventId: `e-${r}-${c}`,
            orgId: `org-${c % ORGS}`,
            connectorId: `lcc-${c}`,
            oldStatus: 'Provisioning',
            newStatus: recovers ? 'Running' : 'Failed',
          }
          return {value, timestamp: new Date(t0 + r * 60_000 + c).toISOString(), partition: (r + c) % PARTITIONS}
        }),
      )
      const defaults = {notifications: 'data-notifications-pipeline', assignments: 'data-csdr-assignment'}
      const lines = [
        ...Array.from({length: 10}, (_, i) => ({
          topic: 'data-slack-users',
          key: `csdr${i}@example.com`,
          value: {email: `csdr${i}@example.com`, slackUserId: `UCSDR${i}`},
        })),
        ...Array.from({length: ORGS}, (_, i) => ({
          topic: defaults.assignments,
          key: `org-${i}`,
          value: {orgId: `org-${i}`, orgName: `Org ${i}`, csdrEmail: `csdr${i % 10}@example.com`},
        })),
        ...rounds.flat().map(({value, timestamp}) => ({topic: defaults.notifications, key: null, value, timestamp})),
      ]
      const file = path.join(tmpdir(), `${cfg.prefix}fixture.jsonl`)
      writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
      const dry = await runFa(['replay', file, '--dry-run', '--json'], {env})
      expect(dry.code, dry.stderr).toBe(0)
      const expected = dry.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as {topic: string; key: string; value: object})
        .filter((r) => r.topic === 'slack-messages')
        .map((r) => JSON.stringify({key: r.key, value: r.value}))
        .sort()
      expect(expected.length).toBeGreaterThan(CONNECTORS * 2)

      for (const round of rounds) {
        await producer.send({
          topic: cfg.topics.notifications,
          acks: -1,
          messages: round.map(({value, timestamp, partition}) => ({
            key: null,
            partition,
            value: JSON.stringify(value),
            timestamp: String(Date.parse(timestamp)),
          })),
        })
        // Two cron instances in one group, each to the end (each checks its exit code).
        await Promise.all([members.drain(eos('a')), members.drain(eos('b'))])
      }
      const written = (await readToEnd(kafka, [cfg.topics.slackMessages])).map((r: ReadRecord) =>
        JSON.stringify({key: r.key, value: JSON.parse(r.value!)}),
      )
      expect(written.sort()).toEqual(expected)
    } finally {
      await producer.disconnect()
    }
  })
})
