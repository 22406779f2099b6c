import {afterEach, describe, expect, it} from 'vitest'

import type {Outcome} from '../../../src/lib/pipeline/topology.js'
import {PrometheusMetrics} from '../../../src/lib/metrics/prometheus.js'
import {noMetrics} from '../../../src/lib/metrics/room.js'
import {serveMetrics, type MetricsServer} from '../../../src/lib/metrics/server.js'
import {rec} from '../../support/records.js'
import {parseSamples, sampleSum} from '../../support/scrape.js'

const alert = (pipeline: string): Outcome => ({kind: 'alert', pipeline, alertId: 'fa-1', output: rec('out', 'k', {})})
const dead = (pipeline: string, reason: string): Outcome => ({
  kind: 'dead-letter',
  pipeline,
  reason,
  output: rec('dlq', 'k', {}),
})
const samples = async (m: PrometheusMetrics) => parseSamples(await m.registry.metrics())

describe('PrometheusMetrics', () => {
  it('counts records in and out per pipeline and outcome, dead letters by reason, and times alerts from their event', async () => {
    const m = new PrometheusMetrics(['tables', 'consumer'])
    const eventAt = String(Date.now() - 2_000)
    m.enrichBatch(
      [
        [alert('p')],
        [{kind: 'dropped', pipeline: 'p', reason: 'unassigned'}],
        [dead('p', 'connectorId: must be a string')],
      ],
      [{timestamp: eventAt}, {timestamp: eventAt}, {timestamp: eventAt}],
    )
    // The process counters count from the registry's start: some CPU time must pass, or a fast run scrapes 0.
    for (const start = process.cpuUsage().user; process.cpuUsage().user - start < 20_000;);
    const s = await samples(m)
    expect(sampleSum(s, 'fa_records_in_total', {pipeline: 'p'})).toBe(3)
    expect(sampleSum(s, 'fa_records_out_total', {pipeline: 'p', outcome: 'alert'})).toBe(1)
    expect(sampleSum(s, 'fa_records_out_total', {pipeline: 'p', outcome: 'unassigned'})).toBe(1)
    expect(sampleSum(s, 'fa_dead_letters_total', {pipeline: 'p', reason: 'connectorId'})).toBe(1)
    expect(sampleSum(s, 'fa_event_to_alert_seconds_count', {pipeline: 'p'})).toBe(1)
    expect(sampleSum(s, 'fa_event_to_alert_seconds_sum', {pipeline: 'p'})).toBeGreaterThanOrEqual(2)
    expect(sampleSum(s, 'fa_event_to_alert_seconds_bucket', {pipeline: 'p', le: '1'})).toBe(0)
    expect(sampleSum(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0)
  })

  it('keeps reason labels few: a code after a one-word prefix stays, past 50 distinct reasons they are "other"', async () => {
    const m = new PrometheusMetrics([])
    m.deadLetter('send', 'Slack: channel_not_found')
    for (let i = 0; i < 60; i++) m.deadLetter('send', `field${i}: is wrong in a new way ${i}`)
    const s = (await samples(m)).filter((x) => x.name === 'fa_dead_letters_total')
    expect(sampleSum(s, 'fa_dead_letters_total', {reason: 'Slack: channel_not_found'})).toBe(1)
    expect(new Set(s.map((x) => x.labels.reason)).size).toBe(51)
    expect(sampleSum(s, 'fa_dead_letters_total', {reason: 'other'})).toBe(11)
  })

  it('reads table rows and lag when scraped; send outcomes time event, alert and intake → Slack', async () => {
    const m = new PrometheusMetrics([])
    let rows = 3
    m.tableRows(() => ({assignments: rows}))
    m.lag('g', async () => [{topic: 't', partition: 1, lag: 7}])
    m.sendOutcome('p', 'delivered', {
      eventTime: new Date(Date.now() - 5_000).toISOString(),
      producedAt: Date.now() - 3_000,
      takenAt: Date.now() - 1_000,
    })
    m.sendOutcome('p', 'failed')
    m.slackRateLimited('chat.postMessage', 30)
    m.transaction('aborted')
    let s = await samples(m)
    expect(sampleSum(s, 'fa_table_rows', {table: 'assignments'})).toBe(3)
    expect(sampleSum(s, 'fa_consumer_lag', {group: 'g', topic: 't', partition: '1'})).toBe(7)
    expect(sampleSum(s, 'fa_send_to_slack_seconds_count', {pipeline: 'p'})).toBe(1)
    expect(sampleSum(s, 'fa_event_to_slack_seconds_sum', {pipeline: 'p'})).toBeGreaterThanOrEqual(5)
    expect(sampleSum(s, 'fa_alert_to_slack_seconds_count', {pipeline: 'p'})).toBe(1)
    expect(sampleSum(s, 'fa_alert_to_slack_seconds_sum', {pipeline: 'p'})).toBeGreaterThanOrEqual(3)
    expect(sampleSum(s, 'fa_alert_to_slack_seconds_sum', {pipeline: 'p'})).toBeLessThan(5)
    expect(sampleSum(s, 'fa_records_out_total', {pipeline: 'p', outcome: 'failed'})).toBe(1)
    expect(sampleSum(s, 'fa_slack_retry_after_seconds_sum', {method: 'chat.postMessage'})).toBe(30)
    expect(sampleSum(s, 'fa_transactions_total', {result: 'aborted'})).toBe(1)
    rows = 4
    s = await samples(m)
    expect(sampleSum(s, 'fa_table_rows', {table: 'assignments'})).toBe(4)
  })

  it('the no-op room takes every hook', () => {
    expect(() => {
      noMetrics.enrichBatch([[alert('p')]], [{timestamp: '0'}])
      noMetrics.ready('tables', true)
      noMetrics.failing('x')
    }).not.toThrow()
  })
})

describe('serveMetrics', () => {
  let server: MetricsServer | undefined
  afterEach(() => server?.close())

  it('answers /healthz at once, /readyz 503 until every part is up and nothing fails, /metrics in the text format', async () => {
    server = await serveMetrics({port: 0, host: '127.0.0.1', parts: ['tables', 'consumer']})
    const get = (path: string) => fetch(`${server!.url}${path}`)
    expect((await get('/healthz')).status).toBe(200)
    expect((await get('/readyz')).status).toBe(503)
    server.metrics.ready('tables', true)
    server.metrics.ready('consumer', true)
    expect(await (await get('/readyz')).json()).toEqual({
      ready: true,
      parts: {tables: true, consumer: true},
      failing: null,
    })
    server.metrics.failing('batch failed')
    const failing = await get('/readyz')
    expect(failing.status).toBe(503)
    expect(await failing.json()).toMatchObject({failing: 'batch failed'})
    const metrics = await get('/metrics')
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(await metrics.text()).toMatch(/^# HELP fa_ready /m)
    expect((await get('/nope')).status).toBe(404)
  })

  it('says which port it could not bind', async () => {
    server = await serveMetrics({port: 0, host: '127.0.0.1', parts: []})
    const port = Number(new URL(server.url).port)
    await expect(serveMetrics({port, host: '127.0.0.1', parts: []})).rejects.toThrow(`127.0.0.1:${port}: EADDRINUSE`)
  })
})
