import type {Headers, Origin, TopicRecord} from './record.js'

/** The headers fa sets on what it writes: alert ids, pipelines, errors and where a record came from. */
export const Header = {
  alertId: 'fa-alert-id',
  pipeline: 'fa-pipeline',
  /** An incident's update: its revision of the alert (the first post is revision 0, with no header). */
  revision: 'fa-revision',
  /** On an incident's final update: it resolved the incident (`true`), so readers of the topic can say so. */
  resolved: 'fa-resolved',
  error: 'fa-error',
  sourceTopic: 'fa-source-topic',
  sourcePartition: 'fa-source-partition',
  sourceOffset: 'fa-source-offset',
  sourceFile: 'fa-source-file',
  sourceLine: 'fa-source-line',
  /**
   * On alerts `fa enrich` writes to Kafka: when it wrote them (epoch ms), for fa send's
   * alert-to-Slack latency. The record's own timestamp stays the event's (maxAlertAge, windows), and
   * the dry run has no such moment, so it leaves this one out, like the source position.
   */
  producedAt: 'fa-produced-at',
} as const

/** Where a record fa wrote came from, read back from its origin headers (the reverse of `originHeaders`). */
export function originOf(headers: Headers): Pick<TopicRecord, 'topic' | 'origin'> {
  const topic = headers[Header.sourceTopic] ?? '(unknown topic)'
  const partition = headers[Header.sourcePartition]
  const offset = headers[Header.sourceOffset]
  const file = headers[Header.sourceFile]
  let origin: Origin = {kind: 'derived'}
  if (partition !== undefined && offset !== undefined) origin = {kind: 'kafka', partition: Number(partition), offset}
  else if (file !== undefined) origin = {kind: 'fixture', file, line: Number(headers[Header.sourceLine] ?? 0)}
  return {topic, origin}
}

/** Adds the headers that say where `record` came from to `headers` (a fresh object by default). */
export function originHeaders(record: TopicRecord, headers: Headers = {}): Headers {
  const {origin} = record
  headers[Header.sourceTopic] = record.topic
  if (origin.kind === 'kafka') {
    headers[Header.sourcePartition] = String(origin.partition)
    headers[Header.sourceOffset] = origin.offset
  } else if (origin.kind === 'fixture') {
    headers[Header.sourceFile] = origin.file
    headers[Header.sourceLine] = String(origin.line)
  }
  return headers
}
