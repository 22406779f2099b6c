// `fa replay FILE` without --dry-run, against the real test broker.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Partitioners} from 'kafkajs'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'

import {fromKafka} from '../../../src/lib/kafka/codec.js'
import {root, runFa} from '../../support/cli.js'
import {consumeAll, createTopics, recordCount, testKafka, uniquePrefix} from '../../support/kafka-io.js'
import {hasScript, KEY, runFaOnTty} from '../../support/pty.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const fixture = path.join(root, 'fixtures/provisioning.jsonl')
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-replay-produce-'))

interface Line {
  topic: string
  key: string | null
  value: unknown
  headers?: Record<string, string>
  timestamp?: string
}

let previous: string | undefined
// A line without a timestamp is produced with the previous line's, as fa reads fixtures.
const lines: Line[] = readFileSync(fixture, 'utf8')
  .trim()
  .split('\n')
  .map((text) => {
    const line = JSON.parse(text) as Line
    line.timestamp ??= previous
    previous = line.timestamp
    return line
  })
const fixtureTopics = [...new Set(lines.map((l) => l.topic))]

/** stderr less the two warnings the sample fixture earns (table changes after events; see topics.test.ts). */
const withoutOrderWarnings = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => !/^warning: provisioning\.jsonl:(17|19) changes assignments row /.test(line))
    .join('\n')

/** The bytes fa must put on the wire: raw strings as they are, JSON as its text, null as a tombstone. */
const wireValue = (value: unknown) =>
  value === null || value === undefined ? null : typeof value === 'string' ? value : JSON.stringify(value)

/** The partition the Java client (murmur2) picks for a key. */
function javaPartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({length: partitions}, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }))
  return Partitioners.DefaultPartitioner()({topic: 't', partitionMetadata, message: {key, value: null}})
}

beforeAll(() => {
  expect(fixtureTopics).toEqual([
    'data-slack-users',
    'data-csdr-assignment',
    'data-notifications-pipeline',
    'data-onboarding-events',
  ])
})

describe('fa replay FILE (into Kafka)', () => {
  it('produces every record with key, value, headers, timestamp and tombstones, in file order per partition', async () => {
    const prefix = uniquePrefix('replay')
    await createTopics(
      kafka,
      fixtureTopics.map((t) => prefix + t),
      3,
    )

    const {code, stdout, stderr} = await runFa(['replay', fixture, '--topic-prefix', prefix])
    expect(withoutOrderWarnings(stderr)).toBe('')
    expect(code).toBe(0)
    expect(stdout).toMatch(/^produced 29 records to \S+ in \d+ ms$/m)
    expect(stdout).toMatch(new RegExp(`^  ${prefix.replaceAll('.', '\\.')}data-notifications-pipeline +18 `, 'm'))
    expect(stdout).toMatch(new RegExp(`^  ${prefix.replaceAll('.', '\\.')}data-slack-users +3 `, 'm'))

    const consumed = await consumeAll(
      kafka,
      fixtureTopics.map((t) => prefix + t),
      lines.length,
    )
    expect(consumed).toHaveLength(lines.length)

    // Each consumed message is exactly one fixture line (topic, key, value and timestamp identify it).
    const identity = (topic: string, key: string | null, value: string | null, ms: number) =>
      JSON.stringify([topic, key, value, ms])
    const lineIndex = new Map(
      lines.map((l, i) => [identity(prefix + l.topic, l.key, wireValue(l.value), Date.parse(l.timestamp!)), i]),
    )
    expect(lineIndex.size).toBe(lines.length)
    const seen = new Set<number>()
    const lastByPartition = new Map<string, number>()
    for (const {topic, partition, message} of consumed) {
      const record = fromKafka(topic, partition, message)
      const value = message.value === null ? null : message.value.toString('utf8')
      const index = lineIndex.get(identity(topic, record.key, value, Number(message.timestamp)))
      expect(index, `${topic}[${partition}]@${message.offset} is not a fixture line`).toBeDefined()
      const line = lines[index!]!
      seen.add(index!)
      expect(record.headers).toEqual(line.headers ?? {})
      expect(Date.parse(record.timestamp!)).toBe(Date.parse(line.timestamp!))
      if (line.key !== null) expect(partition, `key ${JSON.stringify(line.key)}`).toBe(javaPartition(line.key, 3))
      // Offsets are visited in order (consumeAll sorts them): file order must increase too.
      const last = lastByPartition.get(`${topic}/${partition}`) ?? -1
      expect(index!, `${topic}[${partition}] out of file order`).toBeGreaterThan(last)
      lastByPartition.set(`${topic}/${partition}`, index!)
    }
    expect(seen.size).toBe(lines.length)

    // The specific shapes: raw strings stay raw, JSON arrays as their text, tombstones as null, empty keys stay empty.
    const values = consumed.map(({message}) => message.value?.toString('utf8') ?? null)
    expect(values).toContain('{oops')
    expect(values).toContain('["not","an","object"]')
    const tombstone = consumed.find(
      ({topic, message}) => topic === `${prefix}data-csdr-assignment` && message.value === null,
    )
    expect(tombstone?.message.key?.toString()).toBe('org-1004')
    expect(consumed.filter(({message}) => message.key === null)).toHaveLength(
      lines.filter((l) => l.key === null).length,
    )
    expect(consumed.filter(({message}) => message.key?.length === 0)).toHaveLength(1)
    const withHeader = consumed.find(({message}) => message.headers?.source !== undefined)
    expect(withHeader?.message.headers?.source?.toString()).toBe('connect-control-plane')
  })

  it('keeps per-key order across many batches', async () => {
    const prefix = uniquePrefix('order')
    // Topics the config knows: any other would need a --topic mapping.
    const topics = ['data-notifications-pipeline', 'data-csdr-assignment']
    await createTopics(
      kafka,
      topics.map((t) => prefix + t),
      4,
    )
    const file = path.join(tmp(), 'many.jsonl')
    const count = 6000 // about 2 MB: at least three batches of at most 900 KiB
    const records = Array.from({length: count}, (_, seq) => ({
      topic: topics[seq % 3 === 0 ? 1 : 0],
      key: `k${seq % 13}`,
      value: seq % 97 === 0 ? null : {seq, padding: 'x'.repeat(300 + (seq % 50))},
      headers: {seq: String(seq)},
    }))
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n')

    const {code, stdout, stderr} = await runFa(['replay', file, '--topic-prefix', prefix, '--json'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary.records).toBe(count)
    expect(summary.batches).toBeGreaterThanOrEqual(3)

    const consumed = await consumeAll(
      kafka,
      topics.map((t) => prefix + t),
      count,
      60_000,
    )
    const lastByKey = new Map<string, number>()
    for (const {topic, partition, message} of consumed) {
      const seq = Number(message.headers!.seq!.toString())
      const key = `${topic}/${message.key!.toString()}`
      expect(seq, key).toBeGreaterThan(lastByKey.get(key) ?? -1)
      lastByKey.set(key, seq)
      expect(partition).toBe(javaPartition(message.key!.toString(), 4))
      expect(message.value === null).toBe(seq % 97 === 0)
    }
    expect(consumed).toHaveLength(count)
  })

  it('maps topics with --topic FROM=TO (over the prefix) and prints a JSON summary', async () => {
    const prefix = uniquePrefix('map')
    const staging = `${prefix}onboarding-staging`
    await createTopics(
      kafka,
      [...fixtureTopics.filter((t) => t !== 'data-onboarding-events').map((t) => prefix + t), staging],
      1,
    )

    const {code, stdout, stderr} = await runFa([
      'replay',
      fixture,
      '--topic-prefix',
      prefix,
      '--topic',
      `data-onboarding-events=${staging}`,
      '--json',
    ])
    expect(withoutOrderWarnings(stderr)).toBe('')
    expect(code).toBe(0)
    const summary = JSON.parse(stdout)
    expect(summary).toMatchObject({records: 29, brokers: [brokers]})
    expect(summary.topics).toEqual([
      {topic: `${prefix}data-slack-users`, records: 3, from: ['data-slack-users']},
      {topic: `${prefix}data-csdr-assignment`, records: 7, from: ['data-csdr-assignment']},
      {topic: `${prefix}data-notifications-pipeline`, records: 18, from: ['data-notifications-pipeline']},
      {topic: staging, records: 1, from: ['data-onboarding-events']},
    ])
    const [onboarding] = await consumeAll(kafka, [staging], 1)
    expect(JSON.parse(onboarding!.message.value!.toString())).toMatchObject({eventId: 'onb-7f3a9c'})
  })

  it('produces nothing when any line is bad, and names FILE:LINE (exit 3)', async () => {
    const prefix = uniquePrefix('bad')
    const targets = fixtureTopics.map((t) => prefix + t)
    await createTopics(kafka, targets, 1)
    const file = path.join(tmp(), 'bad.jsonl')
    const good = readFileSync(fixture, 'utf8').trim().split('\n')
    writeFileSync(
      file,
      [...good.slice(0, 20), '{"topic": "data-slack-users", "key": 42}', ...good.slice(20)].join('\n') + '\n',
    )

    const {code, stdout, stderr} = await runFa(['replay', file, '--topic-prefix', prefix])
    expect(code).toBe(3)
    expect(stderr.split('\n')[0]).toMatch(new RegExp(`^Error: ${file.replaceAll('/', '\\/')}:21: key: `))
    expect(stdout).toBe('')
    expect(await recordCount(kafka, targets)).toBe(0)
  })

  it('fails before producing when a target topic does not exist', async () => {
    const prefix = uniquePrefix('missing')
    await createTopics(
      kafka,
      fixtureTopics.slice(0, 3).map((t) => prefix + t),
      1,
    )
    const {code, stderr} = await runFa(['replay', fixture, '--topic-prefix', prefix])
    expect(code).toBe(5)
    expect(stderr).toContain(`topic ${prefix}data-onboarding-events does not exist`)
    expect(stderr).toContain('nothing was produced')
    expect(
      await recordCount(
        kafka,
        fixtureTopics.slice(0, 3).map((t) => prefix + t),
      ),
    ).toBe(0)
  })

  it('explains a timestamp the broker rejects; --timestamps now produces with the current time', async () => {
    const prefix = uniquePrefix('time')
    await createTopics(kafka, [`${prefix}data-notifications-pipeline`], 1)
    const file = path.join(tmp(), 'future.jsonl')
    // Kafka 4 refuses timestamps more than an hour ahead (log.message.timestamp.after.max.ms).
    writeFileSync(
      file,
      JSON.stringify({
        topic: 'data-notifications-pipeline',
        key: 'k',
        value: {a: 1},
        timestamp: '2099-01-01T00:00:00Z',
      }) + '\n',
    )
    const rejected = await runFa(['replay', file, '--topic-prefix', prefix])
    expect(rejected.code).toBe(5)
    expect(rejected.stderr).toMatch(
      /^Error: Kafka rejected a record's timestamp \(after 0 of 1 records were produced\) \(brokers refuse timestamps too far in the future .*--timestamps now/,
    )

    const before = Date.now()
    const {code, stderr} = await runFa(['replay', file, '--topic-prefix', prefix, '--timestamps', 'now'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const [record] = await consumeAll(kafka, [`${prefix}data-notifications-pipeline`], 1)
    expect(Number(record!.message.timestamp)).toBeGreaterThanOrEqual(before)
    expect(Number(record!.message.timestamp)).toBeLessThanOrEqual(Date.now())
  })

  it('rejects a --topic mapping no record uses (a typo would hit the unmapped topic)', async () => {
    const {code, stderr} = await runFa(['replay', fixture, '--topic', 'data-notification-pipeline=staging'])
    expect(code).toBe(2)
    expect(stderr).toContain('--topic data-notification-pipeline: no record in the files has this topic')
  })

  describe('a cluster that is not on localhost', () => {
    // A fake "remote" broker: 0.0.0.0 is not a localhost name to fa, but connecting to it
    // reaches this server, so any connection attempt is counted.
    let server: net.Server
    let connections = 0
    let remote: string
    let configFile: string
    beforeAll(async () => {
      server = net.createServer((socket) => {
        connections++
        socket.destroy()
      })
      await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve))
      remote = `0.0.0.0:${(server.address() as net.AddressInfo).port}`
      configFile = path.join(tmp(), 'fa.config.yaml')
      writeFileSync(configFile, `kafka:\n  brokers: ["${remote}"]\n  connectionTimeoutMs: 1000\n`)
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    it('without a TTY needs --yes, and fails before connecting', async () => {
      connections = 0
      // KAFKA_BROKERS (set for the test broker) would override the config file.
      const {code, stdout, stderr} = await runFa(['replay', fixture, '--config', configFile], {
        env: {KAFKA_BROKERS: ''},
      })
      expect(code).toBe(2)
      expect(withoutOrderWarnings(stderr)).toBe(
        `Error: ${remote} is not on localhost: producing 29 records there needs --yes when there is no terminal to confirm on (add --yes to confirm without a prompt)\n`,
      )
      expect(stdout).toBe('')
      expect(connections).toBe(0)
    })

    it.skipIf(!hasScript)('on a terminal asks first; "no" produces nothing and never connects', async () => {
      connections = 0
      const {code, output} = await runFaOnTty(
        ['replay', fixture, '--config', configFile],
        [
          [
            new RegExp(`Produce 29 records to 4 topics \\(data-slack-users, .*\\) on ${remote}\\? \\(y/N\\)`),
            'n' + KEY.enter,
          ],
        ],
        // A person at the terminal: not CI, which asks for --yes even on one.
        {env: {KAFKA_BROKERS: '', CI: ''}},
      )
      expect(output).toContain('Error: replay cancelled: nothing was produced')
      expect(code).toBe(2)
      expect(connections).toBe(0)
    })

    it('with --yes goes ahead and connects (the check above is not vacuous)', async () => {
      connections = 0
      const child = spawn(
        process.execPath,
        [path.join(root, 'bin/run.js'), 'replay', fixture, '--config', configFile, '--yes'],
        {
          env: {...process.env, KAFKA_BROKERS: '', NO_COLOR: '1'},
          stdio: 'ignore',
        },
      )
      try {
        const deadline = Date.now() + 20_000
        while (connections === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        expect(connections).toBeGreaterThan(0)
      } finally {
        child.kill('SIGKILL')
      }
    })
  })
})
