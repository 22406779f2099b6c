// `fa enrich --threads 2`: two members of the group in one process. A cron run gives every
// event its alert (exactly once under --exactly-once) and a bad table record one dead letter;
// a daemon's /metrics and /readyz speak for both threads, and SIGTERM stops them both; a
// failure in the threads is the run's, with its message and exit code.
import {readFileSync, writeFileSync} from 'node:fs'

import {describe, expect, inject, it} from 'vitest'

import {runFa} from '../../support/cli.js'
import {alertsPerSource, flowEvents, prepareFlow} from '../../support/event-flow.js'
import {readMessagesToEnd, readToEnd, runningProcesses, startFa} from '../../support/fa-process.js'
import {testKafka} from '../../support/kafka-io.js'
import {get, metricsUrl, parseSamples, pollUntil, sampleSum} from '../../support/scrape.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_WAIT_MS: '100', FA_PROGRESS_EVERY_MS: '500'}
const running = runningProcesses()
const PIPELINE = 'connector-provisioning-failed'
const ORGS = 20

describe.each([
  {guarantee: 'exactly-once', flags: ['--exactly-once', '--instance', 'x']},
  {guarantee: 'at-least-once', flags: []},
])('fa enrich --threads 2, $guarantee, from cron', ({guarantee, flags}) => {
  it('splits the partitions between its threads: every event one alert, one table dead letter', async () => {
    const {cfg, group, producer} = await prepareFlow(kafka, `threads-${guarantee}`, {
      env,
      orgs: ORGS,
      config: 'kafka:\n  partitions: 6\n',
    })
    try {
      // No csdrEmail: both threads read it, thread 0 alone dead-letters it.
      await producer.send({topic: cfg.topics.assignments, acks: -1, messages: [{key: 'bad', value: '{"orgId":"x"}'}]})
      await flowEvents(producer, cfg, {events: 600, perTick: 300, orgs: ORGS})
    } finally {
      await producer.disconnect()
    }
    const run = await runFa(
      ['enrich', '--from', 'earliest', '-c', cfg.file, '--group', group, '--threads', '2', '--json', ...flags],
      {env},
    )
    expect(run.code, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout) as Record<string, unknown> & {lag: {total: number}}
    expect(summary).toMatchObject({threads: 2, alerts: 600, deadLetters: 1, records: 600 + 10 + ORGS + 1})
    expect(summary.lag.total).toBe(0)
    if (guarantee === 'exactly-once')
      expect(summary.transactionalIds).toEqual([`fa-enrich-${group}-x`, `fa-enrich-${group}-x-t1`])
    // Both threads took part: each logged joining the group with partitions of its own.
    const joined = run.stderr
      .split('\n')
      .filter((line) => line.includes('"joined the group"'))
      .map((line) => JSON.parse(line) as {thread: number; assigned: string})
    expect(new Set(joined.map((l) => l.thread))).toEqual(new Set([0, 1]))
    expect(joined.every((l) => l.assigned.includes(cfg.topics.notifications))).toBe(true)

    const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
    const bySource = alertsPerSource(alerts)
    expect(bySource.size).toBe(600)
    if (guarantee === 'exactly-once') expect(alerts).toHaveLength(600)
    const letters = await readMessagesToEnd(kafka, [cfg.topics.deadLetters], 20_000, () => 'timed out')
    expect(letters.map((l) => String(l.message.key))).toEqual(['bad'])
  })
})

describe('fa enrich --follow --threads 2', () => {
  it('serves both threads in /metrics and /readyz, and stops both on SIGTERM', async () => {
    const {cfg, group, producer} = await prepareFlow(kafka, 'threads-follow', {
      env,
      orgs: ORGS,
      config: 'kafka:\n  partitions: 4\n',
    })
    try {
      const daemon = startFa(
        [
          'enrich',
          '--follow',
          '--from',
          'earliest',
          '-c',
          cfg.file,
          '--group',
          group,
          '--threads',
          '2',
          '--metrics-port',
          '0',
        ],
        env,
      )
      running.add(daemon)
      const url = await metricsUrl(daemon)
      const ready = await pollUntil(`${url}/readyz`, (a) => a.status === 200)
      expect(JSON.parse(ready.body)).toMatchObject({ready: true, parts: {tables: true, consumer: true}, failing: null})
      // Ready only once both threads joined.
      expect(daemon.logs.filter((l) => l.msg === 'joined the group').map((l) => l.thread)).toEqual(
        expect.arrayContaining([0, 1]),
      )

      await flowEvents(producer, cfg, {events: 40, perTick: 20, orgs: ORGS})
      const scraped = parseSamples(
        (
          await pollUntil(
            `${url}/metrics`,
            (a) =>
              sampleSum(parseSamples(a.body), 'fa_records_out_total', {pipeline: PIPELINE, outcome: 'alert'}) >= 40,
          )
        ).body,
      )
      // Counted once however many threads: the events once, each table's rows as one thread holds them.
      expect(sampleSum(scraped, 'fa_records_in_total', {pipeline: PIPELINE})).toBe(40)
      expect(sampleSum(scraped, 'fa_table_rows', {table: 'assignments'})).toBe(ORGS)
      expect(sampleSum(scraped, 'fa_ready')).toBe(1)
      expect(scraped.filter((s) => s.name === 'process_cpu_user_seconds_total')).toHaveLength(1)
      expect((await get(`${url}/healthz`)).status).toBe(200)

      daemon.child.kill('SIGTERM')
      const {code} = await daemon.exited
      expect(code, daemon.stderr()).toBe(0)
      const stopped = daemon.logs.filter((l) => l.msg === 'enrich stopped').map((l) => l.thread)
      expect(stopped.sort()).toEqual([0, 1])
    } finally {
      await producer.disconnect()
    }
  })
})

it('fa enrich --threads 2: a failure is the run’s, as with one thread', async () => {
  const {cfg, group, producer} = await prepareFlow(kafka, 'threads-fail', {env, orgs: ORGS})
  await producer.disconnect()
  // A sink topic that does not exist: every thread refuses to start.
  const missing = `${cfg.prefix}missing.alerts`
  const config = `${cfg.file}.missing.yaml`
  writeFileSync(config, readFileSync(cfg.file, 'utf8').replace(cfg.topics.slackMessages, missing))
  const args = ['enrich', '--from', 'earliest', '-c', config, '--group', group]
  const one = await runFa(args, {env})
  const two = await runFa([...args, '--threads', '2'], {env})
  expect(one.code).not.toBe(0)
  expect(two.code).toBe(one.code)
  expect(two.stderr).toContain(missing)
  expect(two.stderr.split('\n').filter((l) => l.startsWith('Error:'))).toEqual(
    one.stderr.split('\n').filter((l) => l.startsWith('Error:')),
  )
})
