import {Chalk} from 'chalk'

import {renderAlert, renderDeadLetter} from '../output/human.js'
import type {Outcome} from '../pipeline/topology.js'
import {toEnvelope} from '../records/envelope.js'
import type {TopicRecord} from '../records/record.js'
import {fateJson, fateLine, fatesOf, reportLines, type Fate} from './explain.js'
import type {Produced} from './shard.js'

type ColorLevel = 0 | 1 | 2 | 3

/**
 * How replay --dry-run prints what the pipelines produce: JSON Lines envelopes, or for people
 * in colour of chalk's `level` (0: none). With `explain`, every record's fate too (only those
 * named in `only`, when given), as JSON Lines or for people; `links` adds a Block Kit Builder
 * link to each alert shown to people. Plain data, so a replay thread can be told it.
 */
export type ReplayFormat = ({kind: 'json'} | {kind: 'human'; colorLevel: ColorLevel}) & {
  explain?: {only?: string[]} & ({json: true} | {json: false; colorLevel: ColorLevel})
  links?: boolean
  /** Every fate with what it produced, as JSON Lines apart, for the HTML report. */
  report?: boolean
}

export interface Printer {
  /** The text of one produced record; a JSON line never holds a raw newline inside the record. */
  produced: (produced: Produced, source: TopicRecord) => string
  /** A record's fates, when asked for. */
  explain?: (record: TopicRecord, outcomes: readonly Outcome[]) => string
  /** Fates go apart from the records (JSON Lines of fates beside JSON Lines of records), not between them. */
  explainApart: boolean
  /** A record's lines for the HTML report, when asked for. */
  report?: (record: TopicRecord, outcomes: readonly Outcome[]) => string
}

export function printerFor(format: ReplayFormat): Printer {
  const color = new Chalk({level: format.kind === 'human' ? format.colorLevel : 0})
  const produced: Printer['produced'] =
    format.kind === 'json'
      ? (produced) => JSON.stringify(toEnvelope(produced.output)) + '\n'
      : (produced, source) =>
          produced.kind === 'dead-letter'
            ? renderDeadLetter(produced, source, color)
            : renderAlert(produced, color, {link: format.links})
  const report = format.report ? reportLines : undefined
  if (!format.explain) return {produced, explainApart: false, report}
  const {explain: how} = format
  const only = how.only && new Set(how.only)
  const fateColor = new Chalk({level: how.json ? 0 : how.colorLevel})
  const line = how.json ? fateJson : (fate: Fate) => fateLine(fate, fateColor)
  const explain: Printer['explain'] = (record, outcomes) => {
    let text = ''
    for (const fate of fatesOf(record, outcomes)) if (!only || only.has(fate.fate)) text += line(fate)
    return text
  }
  // JSON Lines of fates never go among the records: apart, to stderr or --explain-file.
  return {produced, explain, explainApart: format.kind === 'json' || how.json, report}
}
