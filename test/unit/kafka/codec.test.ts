import type {KafkaMessage} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {fromKafka, toKafka} from '../../../src/lib/kafka/codec.js'
import {deadLetterOf} from '../../../src/lib/records/dead-letter.js'

const key = Buffer.from([0xff, 0xfe, 0x00, 0x41]) // not UTF-8: decoding it as text would alter it

const message = (headers: KafkaMessage['headers']): KafkaMessage =>
  ({
    offset: '7',
    key,
    value: Buffer.from('{oops'),
    headers,
    timestamp: '1700000000000',
    attributes: 0,
  }) as KafkaMessage

describe('dead letters of Kafka records', () => {
  it('keep the original key bytes and every header, repeated ones included, in order', () => {
    const record = fromKafka(
      'events',
      2,
      message({trace: [Buffer.from('a'), Buffer.from('b')], bin: Buffer.from([0x80])}),
    )
    const out = toKafka(deadLetterOf(record, 'dead', 'p', 'value is not valid JSON'))
    expect(Buffer.compare(out.key as Buffer, key)).toBe(0)
    expect(out.value).toEqual(Buffer.from('{oops'))
    expect(out.headers).toEqual({
      trace: [Buffer.from('a'), Buffer.from('b')],
      bin: Buffer.from([0x80]),
      'fa-error': 'value is not valid JSON',
      'fa-pipeline': 'p',
      'fa-source-topic': 'events',
      'fa-source-partition': '2',
      'fa-source-offset': '7',
    })
    // What the pipeline and a reader see: text, the last of a repeated header.
    expect(record.headers).toEqual({trace: 'b', bin: '\ufffd'})
  })

  it("replace a header fa sets itself rather than repeating it (a dead letter's dead letter)", () => {
    const record = fromKafka('dead', 0, message({'fa-error': Buffer.from('first reason'), keep: Buffer.from('x')}))
    const out = toKafka(deadLetterOf(record, 'dead2', 'p', 'second reason'))
    expect(out.headers).toMatchObject({keep: Buffer.from('x'), 'fa-error': 'second reason'})
  })

  it('a tombstone key stays null', () => {
    const record = fromKafka('events', 0, {...message({}), key: null})
    expect(toKafka(deadLetterOf(record, 'dead', 'p', 'r')).key).toBeNull()
  })
})
