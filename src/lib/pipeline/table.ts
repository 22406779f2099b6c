import {z} from 'zod'

import {formatIssue} from '../format-issue.js'
import {decodeJsonObject, type TopicRecord} from '../records/record.js'

/**
 * A GlobalKTable: the latest value per key of a compacted topic.
 * `topic` is a logical name resolved through the config's `topics` map.
 */
export interface TableSpec<V = unknown> {
  name: string
  topic: string
  description: string
  schema: z.ZodType<V>
  /** Applied to the record key and to every lookup key, so both sides match alike. */
  normalizeKey?: (key: string) => string
}

/**
 * An optional text field: a null (an Avro optional field, a Java producer's JSON) means absent.
 * `overwrite` maps null in place: a `transform` would make it a pipe, parsed as two schemas, in
 * every field of every event checked. Typed as the transform was: null never comes out.
 */
export const optionalText = z
  .string()
  .nullish()
  .overwrite((v) => v ?? undefined) as unknown as z.ZodOptional<
  z.ZodType<string | undefined, string | null | undefined>
>

export function defineTable<V>(spec: TableSpec<V>): TableSpec<V> {
  return spec
}

export type TableChange = {ok: true; op: 'upsert' | 'delete'; key: string} | {ok: false; reason: string}

/** The in-memory state of every table; the core reads it, only `apply` changes it. */
export class TableStore {
  private readonly rows = new Map<string, Map<string, unknown>>()

  get<V>(table: TableSpec<V>, key: string): V | undefined {
    return this.rows.get(table.name)?.get(tableKey(table, key)) as V | undefined
  }

  size(table: TableSpec): number {
    return this.rows.get(table.name)?.size ?? 0
  }

  /** Upserts or deletes (tombstone) one row from a table topic record. */
  apply(table: TableSpec, record: TopicRecord): TableChange {
    let rows = this.rows.get(table.name)
    if (!rows) this.rows.set(table.name, (rows = new Map()))
    if (record.value === null) {
      if (!record.key) return {ok: false, reason: `tombstone on table ${table.name} has no key`}
      const key = tableKey(table, record.key)
      rows.delete(key)
      return {ok: true, op: 'delete', key}
    }
    const decoded = decodeJsonObject(record.value)
    if (!decoded.ok) return decoded
    const parsed = table.schema.safeParse(decoded.value)
    if (!parsed.success) return {ok: false, reason: `table ${table.name}: ${formatIssue(parsed.error)}`}
    // Keyed by the record key alone, as a GlobalKTable is: compaction keeps one unkeyed row per
    // partition, so a row keyed from its value would vanish later, depending on load order.
    if (!record.key) {
      return {
        ok: false,
        reason: `table ${table.name} record has no key: a table row is keyed by its record key only (set "key")`,
      }
    }
    const key = tableKey(table, record.key)
    rows.set(key, parsed.data)
    return {ok: true, op: 'upsert', key}
  }
}

/** A key as the table holds it (normalized), which is what a lookup is matched against. */
export function tableKey(table: TableSpec, key: string): string {
  return table.normalizeKey ? table.normalizeKey(key) : key
}
