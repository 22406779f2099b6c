// fa enrich against the real broker: the fixture through the whole chain matches replay --dry-run,
// table changes apply while --follow runs, bad records become dead letters with their reason,
// cron mode exits 0 with a summary, and --follow stops cleanly on SIGTERM.
import {readFileSync, writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import kafkajs, {Kafka, logLevel, Partitioners, type Message, type Producer} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {readFixtures} from '../../../src/lib/fixtures/read.js'
import {toKafka} from '../../../src/lib/kafka/codec.js'
import {silenceKafkajsTimeoutWarning} from '../../../src/lib/kafka/patches/node-warnings.js'
import {GoldenLines} from '../../../src/lib/output/golden.js'
import {buildTopology} from '../../../src/lib/alerts/topology.js'
import {replayDryRun} from '../../../src/lib/replay/dry-run.js'
import {root, runFa} from '../../support/cli.js'
import {
  prefixedConfig,
  readToEnd,
  runningProcesses,
  startFa,
  type ReadRecord,
  type TestConfig,
} from '../../support/fa-process.js'

silenceKafkajsTimeoutWarning()

const {ConfigResourceTypes} = kafkajs

const brokers = inject('kafkaBrokers')
const kafka = new Kafka({clientId: 'fa-enrich-test', brokers: [brokers], logLevel: logLevel.NOTHING})
const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const env = {KAFKA_BROKERS: brokers}

let producer: Producer
const running = runningProcesses()

beforeAll(async () => {
  producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  })
  await producer.connect()
})

afterAll(async () => {
  await producer?.disconnect()
})

async function createTopics(cfg: TestConfig): Promise<void> {
  const result = await runFa(['topics', 'create', '-c', cfg.file, '--json'], {env})
  expect(result.code, result.stderr).toBe(0)
  // The config's ten topics and the repartition topics of its group's two stateful alert types.
  expect(JSON.parse(result.stdout).created).toHaveLength(12)
}

/**
 * The fixture's timestamps (2026-11-24) are older than the test broker's retention (24 h): its
 * periodic retention check could delete them between produce and consume.
 */
async function keepForever(topics: string[]): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: topics.map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configEntries: [{name: 'retention.ms', value: '-1'}],
      })),
    })
  } finally {
    await admin.disconnect()
  }
}

const send = (topic: string, messages: Message[]) => producer.send({topic, acks: -1, messages})

/** The fixture with its table records first (in file order), then its events: "tables loaded before the events". */
function tablesFirst(): string {
  const lines = readFileSync(fixture, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
  const isTable = (l: string) => /"topic":"data-(csdr-assignment|slack-users)"/.test(l)
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-enrich-test-')), 'provisioning.jsonl')
  writeFileSync(file, [...lines.filter(isTable), ...lines.filter((l) => !isTable(l))].join('\n') + '\n')
  return file
}

/**
 * A produced record in comparable form: real topic names without the test prefix, no source
 * position, and not when enrich wrote it (fa-produced-at: Kafka only, as the position is).
 */
function comparable(
  record: {topic: string; key: string | null; value: unknown; headers?: Record<string, string>; timestamp?: string},
  prefix = '',
) {
  const strip = (topic: string) => (topic.startsWith(prefix) ? topic.slice(prefix.length) : topic)
  const headers = {...record.headers}
  for (const name of ['fa-source-file', 'fa-source-line', 'fa-source-partition', 'fa-source-offset', 'fa-produced-at'])
    delete headers[name]
  if (headers['fa-source-topic']) headers['fa-source-topic'] = strip(headers['fa-source-topic'])
  let value = record.value
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      // raw bytes stay a string
    }
  }
  return {
    topic: strip(record.topic),
    key: record.key,
    value,
    headers,
    timestamp: record.timestamp ? new Date(record.timestamp).toISOString() : undefined,
  }
}

const sortJson = <T>(items: T[]) => items.map((i) => JSON.stringify(i)).sort()

describe('fa enrich (cron mode)', () => {
  it('gives the alerts and dead letters of replay --dry-run for the fixture, exits 0 with a summary', async () => {
    const cfg = prefixedConfig('enrich-fixture')
    await createTopics(cfg)
    await keepForever(Object.values(cfg.topics))
    const file = tablesFirst()

    const dry = await runFa(['replay', file, '--dry-run', '--json'], {env})
    expect(dry.code, dry.stderr).toBe(0)
    const expected = dry.stdout
      .trim()
      .split('\n')
      .map((line) => comparable(JSON.parse(line)))
    expect(expected.length).toBeGreaterThan(5)

    // Produce every record in file order (tables first) to the prefixed topics.
    for await (const batch of readFixtures([file])) {
      for (const record of batch) await send(cfg.prefix + record.topic, [toKafka(record)])
    }

    const run = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}g`, '--json'], {
      env,
    })
    expect(run.code, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout)

    const outputs = await readToEnd(kafka, [cfg.topics.slackMessages, cfg.topics.deadLetters])
    expect(sortJson(outputs.map((r) => comparable(r, cfg.prefix)))).toEqual(sortJson(expected))
    // Headers name the Kafka position of the source record, and alerts when enrich wrote them.
    for (const record of outputs) {
      expect(record.headers['fa-source-topic']).toMatch(new RegExp(`^${cfg.prefix.replaceAll('.', '\\.')}`))
      expect(record.headers['fa-source-partition']).toMatch(/^\d+$/)
      expect(record.headers['fa-source-offset']).toMatch(/^\d+$/)
      const producedAt = Number(record.headers['fa-produced-at'])
      if (record.topic === cfg.topics.slackMessages) expect(Date.now() - producedAt).toBeLessThan(120_000)
      else expect(record.headers['fa-produced-at']).toBeUndefined()
    }

    // The summary counts what the dry run counts, pipeline by pipeline.
    const {config} = await loadConfig(undefined, {})
    const drySummary = await replayDryRun({
      files: [file],
      topology: await buildTopology({config, file: null, dir: root}),
      format: {kind: 'json'},
      out: new GoldenLines(),
    })
    expect(summary.pipelines).toEqual(drySummary.pipelines)
    // ... in the same order, drop reasons too (the topology's, whichever record came first).
    expect(JSON.stringify(summary.pipelines)).toBe(JSON.stringify(drySummary.pipelines))
    expect(summary).toMatchObject({guarantee: 'at-least-once', stoppedBy: 'end', follow: false, lag: {total: 0}})
    expect(summary.tables.map((t: {table: string; rows: number}) => [t.table, t.rows]).sort()).toEqual([
      ['assignments', 3],
      ['slack-users', 3],
    ])

    // Malformed records are dead letters that say why.
    const reasons = outputs.filter((r) => r.topic === cfg.topics.deadLetters).map((r) => r.headers['fa-error'])
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^value is not valid JSON/),
        'value is JSON array, expected a JSON object',
        'connectorId: must be a non-empty string',
        expect.stringMatching(/^table assignments: csdrEmail/),
      ]),
    )

    // A second cron run finds nothing new and writes nothing.
    const again = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', `${cfg.prefix}g`, '--json'], {
      env,
    })
    expect(again.code, again.stderr).toBe(0)
    const second = JSON.parse(again.stdout)
    expect(second.pipelines['connector-provisioning-failed']).toBeUndefined()
    expect(second.lag.total).toBe(0)
    const after = await readToEnd(kafka, [cfg.topics.slackMessages, cfg.topics.deadLetters])
    // Tables are re-read on every start, but their bad records were dead-lettered once, by the first run.
    expect(after).toHaveLength(outputs.length)
  })

  it('fails with exit code 5 and a hint when its topics do not exist', async () => {
    const cfg = prefixedConfig('enrich-missing')
    const run = await runFa(['enrich', '--from', 'earliest', '-c', cfg.file], {env})
    expect(run.code).toBe(5)
    expect(run.stderr).toMatch(/do(es)? not exist.*fa topics create/s)
  })
})

describe('fa enrich --follow', () => {
  const event = (orgId: string, eventId: string) => ({
    key: orgId,
    value: JSON.stringify({
      eventId,
      orgId,
      connectorId: `lcc-${eventId}`,
      connectorName: 'orders-cdc',
      connectorType: 'PostgresCdcSource',
      oldStatus: 'Provisioning',
      newStatus: 'Failed',
      errorMessage: 'boom',
    }),
  })

  /** Polls the output topics until `match` finds a record (the stream is eventually consistent with the tables). */
  async function waitForOutput(
    cfg: TestConfig,
    match: (r: ReadRecord) => boolean,
    timeoutMs = 20_000,
  ): Promise<ReadRecord> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = (await readToEnd(kafka, [cfg.topics.slackMessages, cfg.topics.deadLetters])).find(match)
      if (found) return found
      if (Date.now() > deadline) throw new Error('expected output not produced in time')
      await new Promise((r) => setTimeout(r, 300))
    }
  }
  const channelOf = (r: ReadRecord) => (JSON.parse(r.value!) as {channel: string}).channel
  const forEvent = (eventId: string) => (r: ReadRecord) =>
    r.topic.endsWith('slack-messages') && r.value!.includes(`Event ${eventId}.`)

  it('applies table upserts and tombstones that arrive while it runs, dead-letters malformed records, stops on SIGTERM', async () => {
    const cfg = prefixedConfig('enrich-follow')
    await createTopics(cfg)
    await send(cfg.topics.slackUsers, [
      {key: 'ann@example.com', value: JSON.stringify({email: 'ann@example.com', slackUserId: 'UANN'})},
      {key: 'bob@example.com', value: JSON.stringify({email: 'bob@example.com', slackUserId: 'UBOB'})},
    ])
    await send(cfg.topics.assignments, [
      {key: 'org-a', value: JSON.stringify({orgId: 'org-a', orgName: 'A Corp', csdrEmail: 'ann@example.com'})},
    ])

    const fa = startFa(
      ['enrich', '--from', 'earliest', '--follow', '-c', cfg.file, '--group', `${cfg.prefix}g`, '--json'],
      env,
    )
    running.add(fa)
    await fa.waitForLog((l) => l.msg === 'joined the group')

    await send(cfg.topics.notifications, [event('org-a', 'e1')])
    expect(channelOf(await waitForOutput(cfg, forEvent('e1')))).toBe('UANN')

    // Upsert: org-a moves to Bob. Events keep flowing until one reflects it.
    await send(cfg.topics.assignments, [
      {key: 'org-a', value: JSON.stringify({orgId: 'org-a', orgName: 'A Corp', csdrEmail: 'BOB@example.com'})},
    ])
    let n = 0
    const deadline = Date.now() + 20_000
    for (;;) {
      const id = `e2-${n++}`
      await send(cfg.topics.notifications, [event('org-a', id)])
      if (channelOf(await waitForOutput(cfg, forEvent(id))) === 'UBOB') break
      expect(Date.now()).toBeLessThan(deadline)
    }

    // Tombstone: org-a is no longer assigned. A malformed record with the same key (same
    // partition, so processed after it) shows when the event has been processed.
    await send(cfg.topics.assignments, [{key: 'org-a', value: null}])
    await new Promise((r) => setTimeout(r, 1_500))
    await send(cfg.topics.notifications, [event('org-a', 'e3'), {key: 'org-a', value: '{marker'}])
    await waitForOutput(cfg, (r) => r.topic === cfg.topics.deadLetters && r.value === '{marker')
    expect((await readToEnd(kafka, [cfg.topics.slackMessages])).find(forEvent('e3'))).toBeUndefined()

    // Malformed records of every kind become dead letters with their reason.
    await send(cfg.topics.notifications, [
      {key: 'org-x', value: Buffer.from([0xff, 0xfe, 0x00, 0x01])},
      {key: 'org-x', value: null},
      {key: 'org-x', value: '42'},
    ])
    await send(cfg.topics.assignments, [{key: 'org-y', value: JSON.stringify({orgId: 'org-y'})}])
    await send(cfg.topics.onboarding, [{key: 'org-z', value: '{"eventId": '}])
    const expectReason = async (match: (r: ReadRecord) => boolean, reason: RegExp) =>
      expect(
        (await waitForOutput(cfg, (r) => r.topic === cfg.topics.deadLetters && match(r))).headers['fa-error'],
      ).toMatch(reason)
    await expectReason((r) => r.value === '\ufffd\ufffd\u0000\u0001', /not valid JSON/)
    await expectReason((r) => r.key === 'org-x' && r.value === null, /tombstone/)
    await expectReason((r) => r.value === '42', /JSON number, expected a JSON object/)
    await expectReason((r) => r.key === 'org-y', /table assignments: csdrEmail/)
    await expectReason((r) => r.key === 'org-z', /onboarding|not valid JSON/)

    // SIGTERM: finish, commit, disconnect, exit 0 within a few seconds.
    const t0 = Date.now()
    fa.child.kill('SIGTERM')
    const {code} = await fa.exited
    running.delete(fa)
    const elapsed = Date.now() - t0
    expect(code, fa.stderr()).toBe(0)
    expect(elapsed).toBeLessThan(5_000)
    const summary = JSON.parse(fa.stdout())
    expect(summary).toMatchObject({stoppedBy: 'signal', follow: true, lag: {total: 0}})
    expect(summary.pipelines['connector-provisioning-failed'].dropped.unassigned).toBeGreaterThanOrEqual(1)
    expect(fa.logs.some((l) => l.msg === 'enrich stopped')).toBe(true)
  })

  it('exits at once on a second signal', async () => {
    const cfg = prefixedConfig('enrich-signal')
    await createTopics(cfg)
    const fa = startFa(['enrich', '--from', 'earliest', '--follow', '-c', cfg.file, '--group', `${cfg.prefix}g`], env)
    running.add(fa)
    await fa.waitForLog((l) => l.msg === 'joined the group')
    // Two different signals: two of the same kind sent at once may reach the process as one.
    fa.child.kill('SIGINT')
    fa.child.kill('SIGTERM')
    const t0 = Date.now()
    const {code} = await fa.exited
    running.delete(fa)
    expect(code).toBe(130)
    expect(Date.now() - t0).toBeLessThan(2_000)
  })
})
