import type {ChalkInstance} from 'chalk'

import {Header} from '../records/headers.js'
import {printable} from './printable.js'

/** A produced record as JSON, from a golden file or a run. */
export type GoldenRecord = {topic?: unknown; key?: unknown; value?: unknown; headers?: Record<string, unknown>}

/**
 * What a record is, whatever its position: its topic and alert id (and revision, for an
 * incident's update), or for a record without one (a dead letter) its topic, key, pipeline and
 * source position. The same record twice gets `#2`.
 */
export function identities(records: readonly GoldenRecord[]): string[] {
  const seen = new Map<string, number>()
  return records.map((record) => {
    const headers = record.headers ?? {}
    const base =
      typeof headers[Header.alertId] === 'string'
        ? [record.topic, headers[Header.alertId], headers[Header.revision] ?? '0']
        : [record.topic, record.key, headers[Header.pipeline], sourceOf(record)]
    const id = JSON.stringify(base)
    const n = (seen.get(id) ?? 0) + 1
    seen.set(id, n)
    return n === 1 ? id : `${id}#${n}`
  })
}

/** Where a record came from, as its headers say: `FILE:LINE` or `topic[partition]@offset`. */
function sourceOf({headers = {}}: GoldenRecord): string | undefined {
  const h = headers as Record<string, string | undefined>
  if (h[Header.sourceFile] !== undefined) return `${h[Header.sourceFile]}:${h[Header.sourceLine]}`
  if (h[Header.sourcePartition] !== undefined)
    return `${h[Header.sourceTopic]}[${h[Header.sourcePartition]}]@${h[Header.sourceOffset]}`
  return h[Header.sourceTopic]
}

/** One line that says which record this is: what it is (alert type, dead letter), to whom, from where. */
export function recordHeader(record: GoldenRecord): string {
  const headers = (record.headers ?? {}) as Record<string, string | undefined>
  const value = record.value as {channel?: unknown} | null | undefined
  const alertId = headers[Header.alertId]
  const parts = [alertId ? (headers[Header.pipeline] ?? String(record.topic)) : 'dead letter']
  if (!alertId && headers[Header.pipeline]) parts.push(`of ${headers[Header.pipeline]}`)
  if (value && typeof value === 'object' && typeof value.channel === 'string') parts.push(`→ ${value.channel}`)
  const source = sourceOf(record)
  if (source) parts.push(`from ${source}`)
  if (alertId) parts.push(headers[Header.revision] ? `${alertId} revision ${headers[Header.revision]}` : alertId)
  return printable(parts.join(' '))
}

export interface FieldChange {
  path: string
  /** Absent: the field is new (or gone, for `now`). */
  was?: unknown
  now?: unknown
}

/** The leaf fields that differ between two records, by path (`value.blocks[2].fields[0].text`). */
export function fieldChanges(was: unknown, now: unknown): FieldChange[] {
  const before = leaves(was)
  const after = leaves(now)
  const changes: FieldChange[] = []
  for (const [path, value] of before) {
    if (!after.has(path)) changes.push({path, was: value})
    else if (after.get(path) !== value) changes.push({path, was: value, now: after.get(path)})
  }
  for (const [path, value] of after) if (!before.has(path)) changes.push({path, now: value})
  return changes
}

/** Every leaf of a JSON value under its path, as JSON text (so `1` and `"1"` differ). Empty objects and arrays are leaves. */
function leaves(value: unknown, path = '', into = new Map<string, string>()): Map<string, string> {
  if (Array.isArray(value) && value.length > 0) value.forEach((item, i) => leaves(item, `${path}[${i}]`, into))
  else if (value !== null && typeof value === 'object' && Object.keys(value).length > 0) {
    for (const [key, item] of Object.entries(value)) {
      const step = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key)
      leaves(item, path ? `${path}.${step}` : step, into)
    }
  } else into.set(path || '(record)', JSON.stringify(value))
  return into
}

/** A field change as a diff line: `path: old → new`, or only the side there is. */
export function changeLine({path, was, now}: FieldChange, c: ChalkInstance): string {
  const show = (text: unknown) => printable(String(text))
  if (now === undefined) return `    ${path}: ${c.red(show(was))} ${c.dim('(not produced)')}`
  if (was === undefined) return `    ${path}: ${c.green(show(now))} ${c.dim('(not expected)')}`
  return `    ${path}: ${c.red(show(was))} → ${c.green(show(now))}`
}
