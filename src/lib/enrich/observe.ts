import type {Admin} from 'kafkajs'

import {readGroupLag} from '../kafka/group-lag.js'
import type {Metrics} from '../metrics/room.js'
import type {TableLoader} from './table-loader.js'

/** Once the tables are loaded: enrich is ready as far as they go, and its rows and lag are read at each scrape. */
export function observeLoaded(
  metrics: Metrics,
  {loader, admin, group, sources}: {loader: TableLoader; admin: Admin; group: string; sources: string[]},
): void {
  metrics.ready('tables', true)
  metrics.tableRows(() => Object.fromEntries(loader.tableStats().map((t) => [t.table, t.rows])))
  metrics.lag(group, async () => (await readGroupLag(admin, group, sources)).partitions)
}
