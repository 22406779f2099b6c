import type {IHeaders, KafkaMessage, Message} from 'kafkajs'

import {bytesView, type Headers, type Payload, type TopicRecord} from '../records/record.js'

/** A consumed Kafka message as a record: bytes stay bytes, so dead letters keep them untouched. */
export function fromKafka(topic: string, partition: number, message: KafkaMessage): TopicRecord {
  return {
    topic,
    key: message.key === null ? null : message.key.toString('utf8'),
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: isoTimestamp(message.timestamp),
    origin: {kind: 'kafka', partition, offset: message.offset},
    wire: {key: message.key, headers: message.headers ?? {}},
  }
}

// Records of one batch mostly share their millisecond: format each one once.
let lastMs = ''
let lastIso = ''
function isoTimestamp(ms: string): string {
  if (ms !== lastMs) {
    lastIso = new Date(Number(ms)).toISOString()
    lastMs = ms
  }
  return lastIso
}

/**
 * A record as a kafkajs message (keyed records are partitioned by murmur2, like Java clients); one
 * read from Kafka (a dead letter) keeps its key bytes, every header and any decoded value's bytes.
 */
export function toKafka(record: TopicRecord): Message {
  const {wire} = record
  return {
    key: wire ? wire.key && bytesView(wire.key) : record.key,
    value: wire?.value !== undefined ? wire.value && bytesView(wire.value) : kafkaValue(record.value),
    headers: wire ? (wire.headers as IHeaders) : record.headers,
    timestamp: record.timestamp === undefined ? undefined : String(Date.parse(record.timestamp)),
  }
}

/** JSON goes as its text: kafkajs writes a string as UTF-8 straight into the batch, without a Buffer in between. */
function kafkaValue(value: Payload): Buffer | string | null {
  if (value === null || typeof value === 'string') return value
  if (value instanceof Uint8Array) return bytesView(value)
  return JSON.stringify(value)
}

export function decodeHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue
    // A header repeated on the wire arrives as an array; the last one wins, as in Kafka Streams' lastHeader.
    const last = Array.isArray(value) ? value.at(-1) : value
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last)
  }
  return out
}
