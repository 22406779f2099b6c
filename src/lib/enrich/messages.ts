import type {KafkaMessage, Message} from 'kafkajs'

import {decodeHeaders, fromKafka, toKafka} from '../kafka/codec.js'
import type {EnrichTuning} from '../kafka/tuning.js'
import {messageBytes} from '../kafka/writer.js'
import type {Logger} from '../output/log.js'
import type {StateStore} from '../pipeline/state.js'
import type {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {Header} from '../records/headers.js'
import type {TopicRecord} from '../records/record.js'
import type {RecordDecoder} from '../schema/decoder.js'
import {SchemaMismatch, type RecordEncoder} from '../schema/encoder.js'

/** What runs a decoded record instead of the whole topology, and the pipelines an undecodable one is a dead letter of (default: its topic's). */
export interface RecordRun {
  pipelines?: string[]
  outcomes(record: TopicRecord): Outcome[]
}

/**
 * One record through the core; a record fa cannot even decode becomes a dead letter, never a
 * crash. Without `state` it is a table record (the table loader's), applied to its table.
 */
export function processMessage(
  topology: Topology,
  tables: TableStore,
  state: StateStore | undefined,
  topic: string,
  partition: number,
  message: KafkaMessage,
  decoder?: RecordDecoder,
  run?: RecordRun,
): Outcome[] {
  let record: TopicRecord | undefined
  try {
    record = fromKafka(topic, partition, message)
    if (decoder) {
      const decoded = decoder.decode(record, message)
      record = decoded.record
      if (!decoded.ok)
        return (run?.pipelines ?? pipelinesOf(topology, topic)).map((name) =>
          topology.deadLetter(name, record!, decoded.reason),
        )
    }
    if (run) return run.outcomes(record)
    return state ? topology.process(record, tables, state) : topology.applyTable(record, tables)
  } catch (error) {
    const source: TopicRecord = record ?? {
      topic,
      key: message.key?.toString('utf8') ?? null,
      value: message.value,
      headers: safeHeaders(message),
      origin: {kind: 'kafka', partition, offset: message.offset},
      wire: {key: message.key, headers: message.headers ?? {}},
    }
    return [topology.deadLetter('enrich', source, `fa could not process the record: ${(error as Error).message}`)]
  }
}

/** The pipelines reading `topic`: its table, or the alert types it is the source of. */
function pipelinesOf(topology: Topology, topic: string): string[] {
  const table = topology.tableTopics.find((t) => t.topic === topic)
  if (table) return [table.table.name]
  const alerts = topology.alertTypes.filter((a) => topology.topic(a.source) === topic).map((a) => a.name)
  return alerts.length > 0 ? alerts : ['enrich']
}

function safeHeaders(message: KafkaMessage): Record<string, string> {
  try {
    return decodeHeaders(message.headers)
  } catch {
    return {}
  }
}

/**
 * A record as a kafkajs message, with its size, or why it is too large: one above maxRecordBytes
 * (the broker would refuse it, and refuse it again on every retry) is not written as it is. An
 * alert's caller writes its source record as the dead letter instead; a dead letter that is too
 * large itself keeps its headers (the reason, the origin) and loses its value.
 */
export function checkedMessage(
  record: TopicRecord,
  tuning: EnrichTuning,
  log: Logger,
  encoding?: OutputEncoding,
): {message: Message; bytes: number; topic: string; deadLetter?: string; tooLarge?: string} {
  const {message, topic, deadLetter} = encoding
    ? encodedOutput(record, encoding, log)
    : {message: toKafka(record), topic: record.topic}
  const bytes = messageBytes(message)
  if (bytes <= tuning.maxRecordBytes) return {message, bytes, topic, deadLetter}
  const tooLarge = `output record for ${record.topic} too large for Kafka (${bytes} bytes, at most ${tuning.maxRecordBytes})`
  log.warn('output record too large; writing a dead letter', {topic: record.topic, bytes})
  const error = record.headers[Header.error]
  const headers = {...record.headers, [Header.error]: error ? `${error} (value omitted: ${tooLarge})` : tooLarge}
  const small: Message = {key: message.key, value: null, headers, timestamp: message.timestamp}
  return {message: small, bytes: messageBytes(small), topic: record.topic, tooLarge}
}

/** Alerts written in their topic's pinned registry format (schema/own-outputs.ts). */
export interface OutputEncoding {
  encoder: RecordEncoder
  deadLetters: string
}

/** An alert in its topic's schema; one the schema cannot carry goes to the dead letters as JSON, with why (`deadLetter`). */
function encodedOutput(
  record: TopicRecord,
  {encoder, deadLetters}: OutputEncoding,
  log: Logger,
): {message: Message; topic: string; deadLetter?: string} {
  const message = toKafka(record)
  if (record.wire) return {message, topic: record.topic}
  try {
    message.key = encoder.key(record.topic, record.key)
    const value = encoder.value(record.topic, record.value)
    if (Buffer.isBuffer(value)) message.value = value
    return {message, topic: record.topic}
  } catch (error) {
    if (!(error instanceof SchemaMismatch)) throw error
    const reason = `${record.topic}: the alert does not fit its schema: ${error.message}`
    log.warn('alert does not fit its topic schema; writing it as a dead letter', {topic: record.topic, error: reason})
    return {
      message: {...toKafka(record), headers: {...record.headers, [Header.error]: reason}},
      topic: deadLetters,
      deadLetter: reason,
    }
  }
}
