// `fa enrich --follow` and `fa send --follow` with --metrics-port: /healthz, /readyz and
// /metrics scraped while events flow through the chain, counters and histograms checked to
// move, and the steady progress line in the log.
import {afterAll, describe, expect, inject, it} from 'vitest'

import {flowEvents, prepareFlow} from '../support/event-flow.js'
import {runningProcesses, startFa} from '../support/fa-process.js'
import {testKafka} from '../support/kafka-io.js'
import {get, metricsUrl, parseSamples, pollUntil, sampleSum} from '../support/scrape.js'
import {fastEnv, TOKEN} from '../support/send.js'
import {startSlackServer, type SlackServer} from '../support/slack-server.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const running = runningProcesses()
const servers: SlackServer[] = []
afterAll(() => Promise.all(servers.map((s) => s.close())))

const PIPELINE = 'connector-provisioning-failed'
const EVENTS = 24

describe('metrics and health of the daemons', () => {
  it('serve /healthz, /readyz and /metrics on 127.0.0.1; the counts move as events flow', async () => {
    const slack = await startSlackServer({token: TOKEN, rate: {perSecond: 50, burst: 10}})
    servers.push(slack)
    const env = {...fastEnv, KAFKA_BROKERS: brokers, SLACK_BOT_TOKEN: TOKEN, FA_PROGRESS_EVERY_MS: '500'}
    const {cfg, group, producer} = await prepareFlow(kafka, 'metrics', {
      env,
      orgs: 10,
      config: `slack:\n  apiUrl: ${slack.url}\n  perChannelPerSecond: 50\n  perChannelBurst: 10\n  timeoutMs: 2000\n`,
    })
    try {
      const enrich = startFa(['enrich', '--follow', '-c', cfg.file, '--group', group, '--metrics-port', '0'], env)
      running.add(enrich)
      const send = startFa(['send', '--follow', '-c', cfg.file, '--group', `${group}-send`, '--metrics-port', '0'], env)
      running.add(send)
      const [enrichUrl, sendUrl] = await Promise.all([metricsUrl(enrich), metricsUrl(send)])
      expect(enrichUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect((await get(`${enrichUrl}/healthz`)).status).toBe(200)
      // Ready once the tables are loaded and the consumer joined.
      const ready = await pollUntil(`${enrichUrl}/readyz`, (a) => a.status === 200)
      expect(JSON.parse(ready.body)).toMatchObject({ready: true, parts: {tables: true, consumer: true}, failing: null})
      await pollUntil(`${sendUrl}/readyz`, (a) => a.status === 200)

      const before = parseSamples((await get(`${enrichUrl}/metrics`)).body)
      expect(sampleSum(before, 'fa_records_in_total', {pipeline: PIPELINE})).toBe(0)
      // Node's default process metrics are there too.
      expect(before.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true)
      expect(before.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true)
      expect(sampleSum(before, 'fa_table_rows', {table: 'assignments'})).toBe(10)
      expect(sampleSum(before, 'fa_table_rows', {table: 'slack-users'})).toBe(10)
      const sendBefore = parseSamples((await get(`${sendUrl}/metrics`)).body)
      expect(sampleSum(sendBefore, 'fa_alert_to_slack_seconds_count', {pipeline: PIPELINE})).toBe(0)

      slack.inject({kind: 'rate-limit', count: 2, retryAfter: 1})
      await flowEvents(producer, cfg, {events: EVENTS, perTick: 6, orgs: 10})

      const enriched = parseSamples(
        (
          await pollUntil(
            `${enrichUrl}/metrics`,
            (a) =>
              sampleSum(parseSamples(a.body), 'fa_records_out_total', {pipeline: PIPELINE, outcome: 'alert'}) ===
              EVENTS,
          )
        ).body,
      )
      expect(sampleSum(enriched, 'fa_records_in_total', {pipeline: PIPELINE})).toBe(EVENTS)
      expect(sampleSum(enriched, 'fa_event_to_alert_seconds_count', {pipeline: PIPELINE})).toBe(EVENTS)
      expect(sampleSum(enriched, 'fa_event_to_alert_seconds_sum', {pipeline: PIPELINE})).toBeGreaterThan(0)
      const lag = enriched.filter((s) => s.name === 'fa_consumer_lag')
      expect(lag.map((s) => s.labels.topic)).toContain(cfg.topics.notifications)
      expect(lag.every((s) => s.labels.group === group)).toBe(true)
      expect(sampleSum(enriched, 'fa_ready')).toBe(1)

      const sent = parseSamples(
        (
          await pollUntil(
            `${sendUrl}/metrics`,
            (a) => sampleSum(parseSamples(a.body), 'fa_records_out_total', {outcome: 'delivered'}) === EVENTS,
          )
        ).body,
      )
      expect(sampleSum(sent, 'fa_records_in_total', {pipeline: PIPELINE})).toBe(EVENTS)
      expect(sampleSum(sent, 'fa_slack_calls_total', {method: 'chat.postMessage', result: 'ok'})).toBe(EVENTS)
      expect(sampleSum(sent, 'fa_slack_calls_total', {method: 'chat.postMessage', result: 'rate_limited'})).toBe(2)
      expect(sampleSum(sent, 'fa_slack_rate_limited_total', {method: 'chat.postMessage'})).toBe(2)
      expect(sampleSum(sent, 'fa_slack_retry_after_seconds_sum', {method: 'chat.postMessage'})).toBe(2)
      expect(sampleSum(sent, 'fa_send_to_slack_seconds_count', {pipeline: PIPELINE})).toBe(EVENTS)
      expect(sampleSum(sent, 'fa_event_to_slack_seconds_count', {pipeline: PIPELINE})).toBe(EVENTS)
      // Alert produced (fa enrich's fa-produced-at) → Slack: after the event, before send took it.
      expect(sampleSum(sent, 'fa_alert_to_slack_seconds_count', {pipeline: PIPELINE})).toBe(EVENTS)
      const latency = (name: string) => sampleSum(sent, `fa_${name}_to_slack_seconds_sum`, {pipeline: PIPELINE})
      expect(latency('alert')).toBeGreaterThan(0)
      expect(latency('alert')).toBeGreaterThanOrEqual(latency('send'))
      expect(latency('alert')).toBeLessThanOrEqual(latency('event'))
      expect(sampleSum(sent, 'fa_offset_commits_total', {result: 'ok'})).toBeGreaterThan(0)
      expect(slack.posts).toHaveLength(EVENTS)

      // The steady line: what was processed, the alerts, and the lag (0 once caught up).
      // (The lag is read before the counts, and a repartitioned record's alert comes a little after its
      // source's offset is committed: one line may show lag 0 before every alert is counted.)
      const progress = await enrich.waitForLog(
        (l) => l.msg === 'progress' && l.events === EVENTS && l.lag === 0 && l.alerts === EVENTS,
      )
      expect(progress).toMatchObject({alerts: EVENTS, deadLetters: 0})
      await send.waitForLog((l) => l.msg === 'progress' && l.delivered === EVENTS && l.lag === 0)

      enrich.child.kill('SIGTERM')
      send.child.kill('SIGTERM')
      expect((await enrich.exited).code).toBe(0)
      expect((await send.exited).code).toBe(0)
    } catch (error) {
      console.log(running.size, [...running].map((f) => f.stderr().slice(-3000)).join('\n----\n'))
      throw error
    } finally {
      await producer.disconnect()
    }
  })
})
