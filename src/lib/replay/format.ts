import {Chalk} from 'chalk'

import {renderAlert, renderDeadLetter} from '../output/human.js'
import {toEnvelope} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'
import type {Produced} from './shard.js'

/**
 * How replay --dry-run prints what the pipelines produce: JSON Lines envelopes, or for people
 * in colour of chalk's `level` (0: none). Plain data, so a replay thread can be told it.
 */
export type ReplayFormat = {kind: 'json'} | {kind: 'human'; colorLevel: 0 | 1 | 2 | 3}

/** The text of one produced record; a JSON line never holds a raw newline inside the record. */
export function formatterFor(format: ReplayFormat): (produced: Produced, source: TopicRecord) => string {
  if (format.kind === 'json') return (produced) => JSON.stringify(toEnvelope(produced.output)) + '\n'
  const color = new Chalk({level: format.colorLevel})
  return (produced, source) =>
    produced.kind === 'dead-letter' ? renderDeadLetter(produced, source, color) : renderAlert(produced, color)
}
