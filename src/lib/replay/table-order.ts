import {MemoryStateStore} from '../pipeline/state.js'
import {TableStore, tableKey, type TableSpec} from '../pipeline/table.js'
import type {Topology} from '../pipeline/topology.js'
import {describeOrigin, type TopicRecord} from '../records/record.js'

/** A table store that remembers where each row was first looked up. */
class WatchedTables extends TableStore {
  /** `table\0key` → the event that looked it up first (FILE:LINE). */
  readonly lookedUp = new Map<string, string>()
  current = ''

  override get<V>(table: TableSpec<V>, key: string): V | undefined {
    const id = `${table.name}\0${tableKey(table, key)}`
    if (!this.lookedUp.has(id)) this.lookedUp.set(id, this.current)
    return super.get(table, key)
  }
}

/**
 * Finds table changes that come after an event that looked the row up. A replay into Kafka
 * does not keep that order for fa enrich, which loads the tables to their end before the
 * events: the event will see the change. Runs the core over the records as a dry run does.
 */
export class TableOrderWatch {
  private readonly tables = new WatchedTables()
  private readonly state = new MemoryStateStore()
  readonly warnings: string[] = []

  constructor(private readonly topology: Topology) {}

  /** `record` with its topic as the config names it. */
  observe(record: TopicRecord): void {
    this.tables.current = describeOrigin(record)
    const outcomes = this.topology.process(record, this.tables, this.state)
    for (const outcome of outcomes) {
      if (outcome.kind !== 'table') continue
      const event = this.tables.lookedUp.get(`${outcome.pipeline}\0${outcome.key}`)
      if (event === undefined) continue
      this.warnings.push(
        `${describeOrigin(record)} changes ${outcome.pipeline} row ${JSON.stringify(outcome.key)} ` +
          `after the event at ${event} looked it up: fa enrich loads tables to their end first, so ` +
          `that event will see the change (fa replay --dry-run --tables-first shows what enrich will do)`,
      )
      this.tables.lookedUp.delete(`${outcome.pipeline}\0${outcome.key}`)
    }
  }
}
