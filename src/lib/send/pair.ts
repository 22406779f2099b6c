import {kafkaError} from '../kafka/connection.js'
import {OutputWriter} from '../kafka/writer.js'
import type {RecordEncoder} from '../schema/encoder.js'
import {GroupCommitter} from './commits.js'
import {DryRunCommitter, DryRunDeliverer} from './dry-run.js'
import {Ledger} from './ledger.js'
import type {SendOptions} from './options.js'
import {SlackPoster} from './post.js'
import type {ResponseTable} from './responses.js'
import type {RunCommitter, RunDeliverer, SendContext} from './roles.js'
import type {SendCounts} from './summary.js'

/** The parts a run is built with: to Slack and the group, or --dry-run's. */
export interface Pair {
  deliverer: RunDeliverer
  committer: RunCommitter
  ledger: Ledger
}

export interface PairParts {
  /** This run's id in the commit metadata. */
  instance: string
  table: ResponseTable
  counts: SendCounts
  /** Aborted when the run stops. */
  stop: AbortSignal
  encoder?: RecordEncoder
  /** Ends the run (a failure no retry mends). */
  fail: (error: Error) => void
  /** Resolves once the responses recorded before `since` are read (an update whose post is not in the table yet). */
  responsesRead?: (since: number) => Promise<unknown>
}

/** The one place a dry run differs: which deliverer/committer pair the run is built with. */
export function buildPair(
  context: SendContext,
  send: Pick<SendOptions, 'createDeliverer' | 'onDryRun'>,
  parts: PairParts,
): Pair {
  const {kafka, config, group, topics, tuning, log, metrics} = context
  const {table, counts, stop} = parts
  const ledgerFor = (committer: RunCommitter) =>
    new Ledger(counts, tuning.maxPending, stop, (state) => committer.progress(state))
  if (!send.createDeliverer) {
    // Reads as a throwaway group from the real group's committed offsets; never commits.
    const committer = new DryRunCommitter(group, topics.messages, context.admin)
    const ledger = ledgerFor(committer)
    return {committer, ledger, deliverer: new DryRunDeliverer(send.onDryRun, ledger, counts, table)}
  }
  const committer = new GroupCommitter({
    group,
    instance: parts.instance,
    topics,
    writer: new OutputWriter({kafka, groupId: group, log}),
    table,
    counts,
    requestTimeoutMs: config.slack.timeoutMs,
    log,
    stop,
    explain: (error, doing) => kafkaError(error, config, doing),
    metrics,
    encoder: parts.encoder,
  })
  const ledger = ledgerFor(committer)
  const deliverer = new SlackPoster({
    deliverer: send.createDeliverer(stop),
    committer,
    ledger,
    table,
    counts,
    pace: {perSecond: config.slack.perChannelPerSecond, burst: config.slack.perChannelBurst},
    log,
    stop,
    fail: parts.fail,
    metrics,
    responsesRead: parts.responsesRead,
  })
  return {committer, ledger, deliverer}
}
