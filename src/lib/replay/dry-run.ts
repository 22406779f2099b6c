import {readFixtures, type FixtureProgress} from '../fixtures/read.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import type {TopicRecord} from '../records/record.js'

export type Produced = Extract<Outcome, {kind: 'alert' | 'dead-letter'}>

/**
 * Runs fixture files through the core in one process, in file order (so a table change
 * affects only the events after it): Kafka Streams' TopologyTestDriver for fa.
 */
export async function replayDryRun(options: {
  files: string[]
  topology: Topology
  onOutput: (produced: Produced, source: TopicRecord) => unknown
  onProgress?: (progress: FixtureProgress) => void
}): Promise<Summary> {
  const tables = new TableStore()
  const summary = new Summary()
  for await (const batch of readFixtures(options.files, options.onProgress)) {
    for (const record of batch) {
      const outcomes = options.topology.process(record, tables)
      summary.add(outcomes)
      for (const outcome of outcomes) {
        if (outcome.kind !== 'alert' && outcome.kind !== 'dead-letter') continue
        // Await only real back-pressure: a microtask per record would cost more than the record.
        const pending = options.onOutput(outcome, record)
        if (pending instanceof Promise) await pending
      }
    }
  }
  return summary
}
