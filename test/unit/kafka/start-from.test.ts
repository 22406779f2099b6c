import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {parseStartFrom} from '../../../src/lib/kafka/start-from.js'

describe('--from', () => {
  const now = new Date('2026-02-01T12:00:00Z')
  it('takes earliest, latest, an ISO time, a date or a duration ago', () => {
    expect(parseStartFrom('--from', 'earliest', now)).toBe('earliest')
    expect(parseStartFrom('--from', ' latest ', now)).toBe('latest')
    expect(parseStartFrom('--from', '2026-01-31T08:00:00+01:00', now)).toEqual(new Date('2026-01-31T07:00:00Z'))
    expect(parseStartFrom('--from', '2026-01-31', now)).toEqual(new Date('2026-01-31T00:00:00Z'))
    expect(parseStartFrom('--from', '1h30m', now)).toEqual(new Date('2026-02-01T10:30:00Z'))
  })

  it('refuses anything else, naming the flag (a usage error)', () => {
    expect(() => parseStartFrom('--from', 'beginning', now)).toThrow(/^--from beginning: expected earliest, latest/)
    expect(() => parseStartFrom('enrich.from', '2026-01-31T08:00', now)).toThrow(/add a time zone/)
  })
})

describe('the config', () => {
  it.each([['localhost'], ['k1:9092,k2'], ['k1:port'], ['kafka://k1:9092'], ['k1:99999'], ['k1:0']])(
    'refuses KAFKA_BROKERS=%s: not host:port',
    async (brokers) => {
      await expect(loadConfig(undefined, {KAFKA_BROKERS: brokers, FA_CONFIG: ''})).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('every broker must be host:port'),
      })
    },
  )

  it('takes host:port, not an IPv6 literal kafkajs cannot reach; enrich.from and slack.maxAlertAge are checked', async () => {
    await expect(loadConfig(undefined, {KAFKA_BROKERS: '[::1]:9093'})).rejects.toThrow(/IPv6 address.*use a host name/)
    const {config} = await loadConfig(undefined, {KAFKA_BROKERS: 'k1.example.com:9092, k2:9093'})
    expect(config.kafka.brokers).toEqual(['k1.example.com:9092', 'k2:9093'])
    expect(config.slack.maxAlertAge).toBe('24h')
    expect(config.enrich.from).toBeUndefined()
  })
})
