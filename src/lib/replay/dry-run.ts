import type {ChalkInstance} from 'chalk'

import {readFixtures, type FixtureProgress} from '../fixtures/read.js'
import {renderAlert, renderDeadLetter} from '../output/human.js'
import type {TextSink} from '../output/writer.js'
import {Summary} from '../pipeline/summary.js'
import {TableStore} from '../pipeline/table.js'
import type {Outcome, Topology} from '../pipeline/topology.js'
import {toEnvelope} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'

/** How replay --dry-run prints what the pipelines produce: JSON Lines envelopes, or for people. */
export type ReplayFormat = {kind: 'json'} | {kind: 'human'; color: ChalkInstance}

export interface DryRunOptions {
  files: string[]
  topology: Topology
  format: ReplayFormat
  /** Receives the text of each produced record, in file order. */
  out: TextSink
  onProgress?: (progress: FixtureProgress) => void
}

type Produced = Extract<Outcome, {kind: 'alert' | 'dead-letter'}>

/**
 * Runs fixture files through the core in one process, in file order (so a table change
 * affects only the events after it): Kafka Streams' TopologyTestDriver for fa.
 */
export async function replayDryRun(options: DryRunOptions): Promise<Summary> {
  const {topology} = options
  const tables = new TableStore()
  const summary = new Summary()
  const format = formatterFor(options.format)
  for await (const batch of readFixtures(options.files, options.onProgress)) {
    for (const record of batch) {
      const outcomes = topology.process(record, tables)
      summary.add(outcomes)
      for (const outcome of outcomes) {
        if (outcome.kind !== 'alert' && outcome.kind !== 'dead-letter') continue
        // Await only real back-pressure: a microtask per record would cost more than the record.
        const pending = options.out.write(format(outcome, record))
        if (pending) await pending
      }
    }
  }
  return summary
}

/** The text of one produced record; a JSON line never holds a raw newline inside the record. */
function formatterFor(format: ReplayFormat): (produced: Produced, source: TopicRecord) => string {
  if (format.kind === 'json') return (produced) => JSON.stringify(toEnvelope(produced.output)) + '\n'
  return (produced, source) => (produced.kind === 'alert' ? renderAlert(produced, format.color) : renderDeadLetter(produced, source, format.color))
}
