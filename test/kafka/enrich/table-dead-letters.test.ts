// Bad table records are dead-lettered once, not at every start (tables are read from the
// beginning by every run), and their dead letters keep the original key bytes and every header.
import {expect, inject, it} from 'vitest'

import {runFa} from '../../support/cli.js'
import {prefixedConfig, readMessagesToEnd} from '../../support/fa-process.js'
import {sendOnce, testKafka} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_WAIT_MS: '100'}

const binaryKey = Buffer.from([0xff, 0x00, 0xfe, 0x41]) // not UTF-8

const produce = (topic: string, messages: Array<{key: Buffer | string; value: string; headers?: object}>) =>
  sendOnce(kafka, {topic, messages: messages as never})

const deadLetters = async (topic: string) =>
  (await readMessagesToEnd(kafka, [topic], 20_000, () => 'timed out')).map((r) => r.message)

it('a bad table record is dead-lettered once over three runs; a new one once more; key bytes and repeated headers kept', async () => {
  const cfg = prefixedConfig('table-dead-letters')
  expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
  await produce(cfg.topics.assignments, [
    {key: 'org-1', value: JSON.stringify({orgId: 'org-1', csdrEmail: 'a@example.com'})},
    // No csdrEmail: a bad table record.
    {
      key: binaryKey,
      value: JSON.stringify({orgId: 'org-2'}),
      headers: {trace: [Buffer.from('t1'), Buffer.from('t2')], raw: Buffer.from([0x80, 0x81])},
    },
  ])
  const group = `${cfg.prefix}g`
  const run = () => runFa(['enrich', '--from', 'earliest', '-c', cfg.file, '--group', group, '--json'], {env})

  for (let i = 0; i < 3; i++) {
    const result = await run()
    expect(result.code, result.stderr).toBe(0)
  }
  const [letter, ...more] = await deadLetters(cfg.topics.deadLetters)
  expect(more).toEqual([])
  expect(Buffer.compare(letter!.key!, binaryKey)).toBe(0)
  expect(letter!.headers!.trace).toEqual([Buffer.from('t1'), Buffer.from('t2')])
  expect(letter!.headers!.raw).toEqual(Buffer.from([0x80, 0x81]))
  expect(String(letter!.headers!['fa-error'])).toMatch(/^table assignments: csdrEmail/)

  // A bad record that arrives later is dead-lettered by the next run, and only that one.
  await produce(cfg.topics.assignments, [{key: 'org-3', value: '{oops'}])
  expect((await run()).code).toBe(0)
  expect((await run()).code).toBe(0)
  const after = await deadLetters(cfg.topics.deadLetters)
  expect(after.map((m) => String(m.key)).sort()).toEqual([String(binaryKey), 'org-3'].sort())
})
