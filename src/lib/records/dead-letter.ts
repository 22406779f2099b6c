import {Header, originHeaders} from './headers.js'
import type {TopicRecord} from './record.js'

/** A record that cannot be processed: its original key, bytes and headers, plus why and where it came from. */
export function deadLetterOf(record: TopicRecord, topic: string, pipeline: string, reason: string): TopicRecord {
  return {
    topic,
    key: record.key,
    value: record.value,
    headers: originHeaders(record, {...record.headers, [Header.error]: reason, [Header.pipeline]: pipeline}),
    timestamp: record.timestamp,
    origin: {kind: 'derived'},
    ...(record.wire && {wire: record.wire}),
  }
}
