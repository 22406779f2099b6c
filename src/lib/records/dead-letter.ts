import {Header, originHeaders} from './headers.js'
import type {Headers, TopicRecord, WireHeaders} from './record.js'

/**
 * A record that cannot be processed: its original key, bytes and headers, plus why and where it
 * came from. From Kafka, the key bytes and every header (repeated ones too) are kept as read.
 */
export function deadLetterOf(record: TopicRecord, topic: string, pipeline: string, reason: string): TopicRecord {
  const added = originHeaders(record, {[Header.error]: reason, [Header.pipeline]: pipeline})
  const letter: TopicRecord = {
    topic,
    key: record.key,
    value: record.value,
    headers: {...record.headers, ...added},
    timestamp: record.timestamp,
    origin: {kind: 'derived'},
  }
  if (record.wire) letter.wire = {...record.wire, headers: withAdded(record.wire.headers, added)}
  return letter
}

/** The original headers with fa's own (`added`) in place of any of the same name. */
function withAdded(wire: WireHeaders, added: Headers): WireHeaders {
  const out: WireHeaders = {}
  for (const name of Object.keys(wire)) if (!(name in added)) out[name] = wire[name]
  return Object.assign(out, added)
}
