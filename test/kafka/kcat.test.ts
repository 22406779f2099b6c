// Interop with kcat (librdkafka) through fa's own code: fa's codec reads what kcat produces,
// and kcat reads what `fa replay` produces, with keys, headers and partitions intact.
// librdkafka's default partitioner is consistent_random (CRC32); murmur2_random is the one
// that matches the Java client and kafkajs' DefaultPartitioner, so kcat produces with it.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {fromKafka} from '../../src/lib/kafka/codec.js'
import {decodeJsonObject} from '../../src/lib/records/record.js'
import {runFa} from '../support/cli.js'
import {consumeAll, createTopics, kcat, testKafka, uniquePrefix} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)

// Partitions the Java client picks on a 12-partition topic (see test/support/java-partitions.ts).
const JAVA_P12: Record<string, number> = {
  'acct-1': 2,
  'acct-42': 3,
  'opportunity:0061x00000ABCDE': 4,
  hello: 9,
  a: 4,
  '🚀 émoji': 7,
}
const KEYS = Object.keys(JAVA_P12)

/** kcat -f '%k|%h|%p|%T|%s\n' with -Z: null keys and values print as NULL. */
function parseKcat(out: string) {
  return out
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [key, headers, partition, timestamp, ...value] = line.split('|')
      return {
        key: key!,
        headers: headers!,
        partition: Number(partition),
        timestamp: Number(timestamp),
        value: value.join('|'),
      }
    })
}

describe('kcat → fa (fa reads what kcat produces)', () => {
  it('decodes keys, values, tombstones, headers and murmur2 partitions with fromKafka', async () => {
    const topic = `${uniquePrefix('kcat-in')}events`
    await createTopics(kafka, [topic], 12)
    const input =
      KEYS.map((key, i) => (key === 'hello' ? `${key}|` : `${key}|{"n":${i},"note":"from kcat"}`)).join('\n') + '\n'
    await kcat(
      brokers,
      [
        '-P',
        '-t',
        topic,
        '-K',
        '|',
        '-Z',
        '-H',
        'source=kcat',
        '-H',
        'trace=abc',
        '-H',
        'dup=1',
        '-H',
        'dup=2',
        '-X',
        'partitioner=murmur2_random',
      ],
      input,
    )
    await kcat(brokers, ['-P', '-t', topic, '-p', '11', '-H', 'raw=yes'], 'plain text, no key\n')

    const consumed = await consumeAll(kafka, [topic], KEYS.length + 1)
    const records = consumed.map(({topic, partition, message}) => fromKafka(topic, partition, message))
    for (const [i, key] of KEYS.entries()) {
      const record = records.find((r) => r.key === key)
      expect(record, key).toBeDefined()
      expect(record!.origin).toMatchObject({kind: 'kafka', partition: JAVA_P12[key]})
      // Repeated headers: the last one wins, as in Kafka Streams' lastHeader.
      expect(record!.headers).toEqual({source: 'kcat', trace: 'abc', dup: '2'})
      expect(Math.abs(Date.parse(record!.timestamp!) - Date.now())).toBeLessThan(60_000)
      if (key === 'hello') {
        expect(record!.value).toBeNull()
      } else {
        expect(Buffer.isBuffer(record!.value)).toBe(true)
        expect(decodeJsonObject(record!.value)).toEqual({ok: true, value: {n: i, note: 'from kcat'}})
      }
    }
    const unkeyed = records.find((r) => r.key === null)
    expect(unkeyed).toMatchObject({headers: {raw: 'yes'}, origin: {kind: 'kafka', partition: 11}})
    expect(Buffer.from(unkeyed!.value as Uint8Array).toString('utf8')).toBe('plain text, no key')
  })
})

describe('fa → kcat (kcat reads what fa replay produces)', () => {
  it('reads keys, headers, values, timestamps and the partitions librdkafka murmur2 would pick', async () => {
    const prefix = uniquePrefix('kcat-out')
    const topic = `${prefix}events`
    const reference = `${prefix}kcat-reference`
    await createTopics(kafka, [topic, reference], 12)

    const base = Date.parse('2026-11-24T09:00:00Z')
    const fixture = [
      ...KEYS.map((key, i) => ({
        topic: 'events',
        key,
        value: key === 'hello' ? null : key === 'a' ? 'raw, not JSON' : {n: i, key},
        headers: {source: 'fa', seq: String(i)},
        timestamp: new Date(base + i * 1000).toISOString(),
      })),
      {topic: 'events', key: null, value: {unkeyed: true}, timestamp: new Date(base + 60_000).toISOString()},
    ]
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-kcat-')), 'events.jsonl')
    writeFileSync(file, fixture.map((r) => JSON.stringify(r)).join('\n') + '\n')

    // A topic the config does not know: mapped, as fa replay wants it.
    const replay = await runFa(['replay', file, '--topic', `events=${topic}`])
    expect(replay.stderr).toBe('')
    expect(replay.code).toBe(0)

    const read = parseKcat(await kcat(brokers, ['-C', '-t', topic, '-e', '-q', '-Z', '-f', '%k|%h|%p|%T|%s\n']))
    expect(read).toHaveLength(fixture.length)
    for (const record of fixture) {
      const got = read.find((r) => r.key === (record.key ?? 'NULL'))
      expect(got, String(record.key)).toBeDefined()
      expect(got!.headers).toBe('headers' in record ? `source=fa,seq=${record.headers!.seq}` : '')
      expect(got!.timestamp).toBe(Date.parse(record.timestamp))
      expect(got!.value).toBe(
        record.value === null ? 'NULL' : typeof record.value === 'string' ? record.value : JSON.stringify(record.value),
      )
      if (record.key !== null) expect(got!.partition, record.key).toBe(JAVA_P12[record.key])
    }

    // The same keys produced by kcat itself with librdkafka's murmur2 partitioner land on the same partitions.
    await kcat(
      brokers,
      ['-P', '-t', reference, '-K', '|', '-X', 'partitioner=murmur2_random'],
      KEYS.map((k) => `${k}|x`).join('\n') + '\n',
    )
    const byKcat = Object.fromEntries(
      parseKcat(await kcat(brokers, ['-C', '-t', reference, '-e', '-q', '-f', '%k|%h|%p|%T|%s\n'])).map((r) => [
        r.key,
        r.partition,
      ]),
    )
    const byFa = Object.fromEntries(read.filter((r) => r.key !== 'NULL').map((r) => [r.key, r.partition]))
    expect(byFa).toEqual(byKcat)
  })

  it("kcat's default partitioner (consistent_random, CRC32) would not match: murmur2_random is required", async () => {
    const topic = `${uniquePrefix('kcat-crc')}events`
    await createTopics(kafka, [topic], 12)
    await kcat(brokers, ['-P', '-t', topic, '-K', '|'], KEYS.map((k) => `${k}|x`).join('\n') + '\n')
    const byCrc = Object.fromEntries(
      parseKcat(await kcat(brokers, ['-C', '-t', topic, '-e', '-q', '-f', '%k|%h|%p|%T|%s\n'])).map((r) => [
        r.key,
        r.partition,
      ]),
    )
    expect(byCrc).not.toEqual(JAVA_P12)
  })
})
