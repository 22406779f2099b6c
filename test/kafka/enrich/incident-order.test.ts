// Incidents depend on the order of a key's events: fa enrich must see each connector's events in
// source order after the repartition topic, however its outputs are cut into produce requests,
// and with partitions read at different paces (stream time is each partition's), and so open,
// update and resolve exactly the incidents replay --dry-run does.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Kafka, logLevel} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {runFa} from '../../support/cli.js'
import {prefixedConfig, readToEnd} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-incident-order-test', brokers: [brokers], logLevel: logLevel.NOTHING})

/** Tables first, then `events` failures, recoveries and pauses of 40 busy connectors of `orgs` orgs, a minute or two apart. */
function fixture(events: number, orgs: number): string {
  const lines: object[] = []
  const at = (ms: number) => new Date(Date.parse('2026-10-01T00:00:00Z') + ms).toISOString()
  for (let o = 0; o < orgs; o++) {
    const email = `csdr${o}@example.com`
    lines.push({topic: 'data-slack-users', key: email, value: {email, slackUserId: `UCSDR${o}`}, timestamp: at(0)})
    lines.push({topic: 'data-csdr-assignment', key: `org-${o}`, value: {orgId: `org-${o}`, csdrEmail: email}})
  }
  let seed = 11
  const next = () => (seed = (seed * 48271) % 2147483647) / 2147483647
  let time = 60_000
  for (let i = 0; i < events; i++) {
    time += Math.floor(next() * 120_000)
    const connector = Math.floor(next() * 40)
    const roll = next()
    const newStatus = roll < 0.6 ? 'Failed' : roll < 0.9 ? 'Running' : 'Paused'
    lines.push({
      topic: 'data-notifications-pipeline',
      key: `org-${connector % orgs}`,
      value: {
        eventId: `e-${i}`,
        orgId: `org-${connector % orgs}`,
        connectorId: `lcc-${connector}`,
        connectorName: `connector-${connector}`,
        oldStatus: 'Provisioning',
        newStatus,
        errorMessage: `error ${i % 7}`,
        occurredAt: at(time),
      },
      timestamp: at(time),
    })
  }
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-incident-order-')), 'incidents.jsonl')
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n')
  return file
}

/** An alert or update as both runs write it: its id, revision and the small print that counts it. */
const comparable = (record: {value: unknown; headers?: Record<string, string>}) => {
  const value = (typeof record.value === 'string' ? JSON.parse(record.value) : record.value) as {blocks: unknown}
  return JSON.stringify([record.headers?.['fa-alert-id'], record.headers?.['fa-revision'] ?? '0', value.blocks])
}

/** The dry run's alerts and updates of the fixture, then fa enrich's of it through Kafka: the same. */
async function expectDryRunIncidents(
  what: string,
  fixtureFile: string,
  config: string,
  enrichEnv: NodeJS.ProcessEnv,
  flags: string[] = [],
): Promise<void> {
  const cfg = prefixedConfig(what, config)
  const env = {KAFKA_BROKERS: brokers}
  const file = fixtureFile
  const created = await runFa(['topics', 'create', '-c', cfg.file], {env})
  expect(created.code, created.stderr).toBe(0)

  const dry = await runFa(['replay', file, '--dry-run', '--json', '-c', cfg.file], {env})
  expect(dry.code, dry.stderr).toBe(0)
  const expected = dry.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as {topic: string; value: unknown; headers: Record<string, string>})
    .filter((record) => record.topic === cfg.topics.slackMessages)
  // Enough repeats and recoveries for order to matter.
  expect(expected.filter((r) => r.headers['fa-revision'] !== undefined).length).toBeGreaterThan(500)

  const produced = await runFa(['replay', file, '--yes', '-c', cfg.file], {env})
  expect(produced.code, produced.stderr).toBe(0)
  const run = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--json', ...flags], {
    env: {...env, ...enrichEnv},
  })
  expect(run.code, run.stderr).toBe(0)

  const alerts = await readToEnd(kafka, [cfg.topics.slackMessages])
  expect(alerts.map(comparable).sort()).toEqual(expected.map(comparable).sort())
}

describe('fa enrich and incident order', () => {
  it('opens, updates and resolves the incidents of replay --dry-run when a batch takes many produce requests', async () => {
    // Requests of a few records: one batch of the source is written to its repartition topic in many.
    await expectDryRunIncidents('incident-order', fixture(3000, 5), 'kafka:\n  partitions: 1\n', {
      FA_KAFKA_MAX_REQUEST_BYTES: '4000',
    })
  })

  it('does so when partitions are read at different paces: stream time is kept per stream', async () => {
    // Short windows, 30 orgs' events over three source and three repartition partitions, read
    // in small fetches: some streams run hours of event time ahead of others.
    await expectDryRunIncidents(
      'incident-time',
      fixture(10_000, 30),
      'kafka:\n  partitions: 3\nalerts:\n  windows:\n    connector-provisioning-failed: 30m\n',
      {FA_KAFKA_MAX_BYTES_PER_PARTITION: '16384'},
    )
  })

  it('does so with --exactly-once on two threads, the second joining while the first runs', async () => {
    // The joining member takes over partitions right after the first one's transactions commit.
    await expectDryRunIncidents('incident-eos', fixture(10_000, 30), 'kafka:\n  partitions: 3\n', {}, [
      '--exactly-once',
      '--threads',
      '2',
    ])
  })
})
