// The response table's reader with slack-responses pinned to a registry format: a JSON response
// recorded before the pin still marks its alert delivered (ignoring it would post it again).
import type {KafkaMessage} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {silentLogger} from '../../../src/lib/output/log.js'
import {RecordDecoder} from '../../../src/lib/schema/decoder.js'
import {responseReader, ResponseTable} from '../../../src/lib/send/responses.js'

const message = (key: string, value: object): KafkaMessage =>
  ({
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    offset: '0',
    timestamp: String(Date.now()),
    attributes: 0,
    headers: {},
  }) as KafkaMessage

describe('responseReader', () => {
  it('applies JSON responses on a topic pinned to avro (written before the pin)', async () => {
    const table = new ResponseTable('7d')
    const decoder = new RecordDecoder(undefined, new Map([['sr', {key: 'auto', value: 'avro'}]]), silentLogger)
    const read = responseReader(table, decoder, silentLogger, new AbortController().signal)
    await read('sr', 0, [message('a-1', {alertId: 'a-1', ok: true, channel: 'D1', ts: '1.2'})])
    expect(table.isDelivered('a-1')).toBe(true)
  })
})
