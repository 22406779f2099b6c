// `fa replay FILE` into Kafka: fixture topics read through the config, unknown topics, the broker's size limit.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {root, runFa} from '../../support/cli.js'
import {consumeAll, createTopics, recordCount, testKafka, uniquePrefix} from '../../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-replay-topics-'))
const line = (record: object) => JSON.stringify(record)

/** A config whose notifications topic is renamed to `topic`, on the test broker. */
function configFor(dir: string, topic: string): string {
  const file = path.join(dir, 'fa.config.yaml')
  writeFileSync(file, `kafka:\n  brokers: ['${brokers}']\ntopics:\n  notifications: ${topic}\n`)
  return file
}

describe('fa replay FILE: topics through the config', () => {
  it('sends records naming the logical role or the default name to the configured topic', async () => {
    const dir = tmp()
    const topic = `${uniquePrefix('alias')}notifications`
    await createTopics(kafka, [topic], 1)
    const file = path.join(dir, 'f.jsonl')
    writeFileSync(
      file,
      [
        line({topic: 'notifications', key: 'org-1', value: {n: 1}}),
        line({topic: 'data-notifications-pipeline', key: 'org-1', value: {n: 2}}),
      ].join('\n') + '\n',
    )
    const {code, stdout, stderr} = await runFa(['replay', file, '--config', configFor(dir, topic), '--json'])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(JSON.parse(stdout).topics).toEqual([
      {topic, records: 2, from: ['notifications', 'data-notifications-pipeline']},
    ])
    const consumed = await consumeAll(kafka, [topic], 2)
    expect(consumed.map((c) => JSON.parse(c.message.value!.toString()).n)).toEqual([1, 2])
  })

  it('fails on a topic nobody knows, per topic with counts, unless --topic maps it', async () => {
    const dir = tmp()
    const topic = `${uniquePrefix('unknown')}notifications`
    const target = `${uniquePrefix('mapped')}elsewhere`
    await createTopics(kafka, [topic, target], 1)
    const file = path.join(dir, 'f.jsonl')
    const typo = line({topic: 'data-notifcations-pipeline', key: 'k', value: {}})
    writeFileSync(file, [line({topic: 'notifications', value: {}}), typo, typo].join('\n') + '\n')
    const config = configFor(dir, topic)
    const failed = await runFa(['replay', file, '--config', config])
    expect(failed.code).toBe(3)
    expect(failed.stderr).toContain(
      'neither the config nor the alert types know topic data-notifcations-pipeline (2 records) (did you mean',
    )
    expect(failed.stderr).toContain('nothing was produced')
    expect(await recordCount(kafka, [topic])).toBe(0)

    const mapped = await runFa(['replay', file, '--config', config, '--topic', `data-notifcations-pipeline=${target}`])
    expect(mapped.stderr).toBe('')
    expect(mapped.code).toBe(0)
    expect(await recordCount(kafka, [target])).toBe(2)
  })

  it('names a mistyped --topic FROM before the topics it left unknown, and counts one record as one', async () => {
    const dir = tmp()
    const target = `${uniquePrefix('mapped')}elsewhere`
    await createTopics(kafka, [target], 1)
    const file = path.join(dir, 'f.jsonl')
    writeFileSync(file, line({topic: 'crm-deals', key: 'k', value: {}}) + '\n')
    const config = configFor(dir, target)
    const typo = await runFa(['replay', file, '--config', config, '--topic', `crm-dels=${target}`])
    expect(typo.stderr).toContain(
      "Error: --topic crm-dels: no record in the files has this topic (the files' topics are crm-deals)",
    )
    expect(typo.code).toBe(2)

    const mapped = await runFa(['replay', file, '--config', config, '--topic', `crm-deals=${target}`])
    expect(mapped.code).toBe(0)
    expect(mapped.stdout).toMatch(/^produced 1 record to \S+ in \d+ ms$/m)
  })
})

/** A notifications topic that takes record batches of at most 2,000 bytes, and a directory for its fixture. */
async function smallTopic() {
  const topic = `${uniquePrefix('size')}notifications`
  await createTopics(
    kafka,
    [{topic, numPartitions: 1, replicationFactor: 1, configEntries: [{name: 'max.message.bytes', value: '2000'}]}],
    1,
  )
  return {dir: tmp(), topic}
}

describe("fa replay FILE: the broker's size limit", () => {
  it('stops on an oversize record with FILE:LINE before producing anything', async () => {
    const {dir, topic} = await smallTopic()
    const file = path.join(dir, 'f.jsonl')
    writeFileSync(
      file,
      [
        line({topic: 'notifications', key: 'small', value: {n: 1}}),
        line({topic: 'notifications', key: 'big', value: {text: 'x'.repeat(5000)}}),
      ].join('\n') + '\n',
    )
    const {code, stderr} = await runFa(['replay', file, '--config', configFor(dir, topic)])
    expect(stderr).toMatch(
      new RegExp(
        `^Error: f\\.jsonl:2: the record is about \\d+ bytes, over ${topic.replaceAll('.', '\\.')}'s limit of 2000 bytes`,
      ),
    )
    expect(code).toBe(3)
    expect(await recordCount(kafka, [topic])).toBe(0)
  })

  it('keeps each batch of records that fit one by one under the limit too', async () => {
    const {dir, topic} = await smallTopic()
    const file = path.join(dir, 'f.jsonl')
    // Each about 1,300 bytes: under the limit alone, over it two to a record batch.
    const records = [1, 2, 3].map((n) =>
      line({topic: 'notifications', key: 'org-1', value: {n, text: 'x'.repeat(1200)}}),
    )
    writeFileSync(file, records.join('\n') + '\n')
    const {code, stderr} = await runFa(['replay', file, '--config', configFor(dir, topic)])
    expect(stderr).toBe('')
    expect(code).toBe(0)
    expect(await recordCount(kafka, [topic])).toBe(3)
  })
})

describe('fa replay FILE: table changes after the events they affect', () => {
  it('warns per change, naming the event that looked the row up, and produces anyway', async () => {
    const prefix = uniquePrefix('order')
    const topics = ['data-slack-users', 'data-csdr-assignment', 'data-notifications-pipeline', 'data-onboarding-events']
    await createTopics(
      kafka,
      topics.map((t) => prefix + t),
      1,
    )
    const {code, stderr} = await runFa([
      'replay',
      path.join(root, 'fixtures/provisioning.jsonl'),
      '--topic-prefix',
      prefix,
    ])
    expect(code).toBe(0)
    expect(stderr.trimEnd().split('\n')).toEqual([
      'warning: provisioning.jsonl:17 changes assignments row "org-1004" after the event at provisioning.jsonl:16 looked it up: fa enrich loads tables to their end first, so that event will see the change (fa replay --dry-run --tables-first shows what enrich will do)',
      'warning: provisioning.jsonl:19 changes assignments row "org-1003" after the event at provisioning.jsonl:12 looked it up: fa enrich loads tables to their end first, so that event will see the change (fa replay --dry-run --tables-first shows what enrich will do)',
    ])
    expect(await recordCount(kafka, [`${prefix}data-csdr-assignment`])).toBe(7)
  })
})
