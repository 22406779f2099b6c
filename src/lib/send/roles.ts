import type {Admin, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import type {CommittedOffset, DrainTracker} from '../kafka/drain.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {TopicRecord} from '../records/record.js'
import type {SlackMessage} from '../slack/blocks.js'
import type {Doubt, Entry, PartitionState} from './partitions.js'
import type {SendCounts} from './summary.js'
import type {SendTuning} from './tuning.js'

/*
 * What the parts of a `fa send` run see of each other: the alerts they pass along, and the
 * deliverer/committer pair a run is built with (Slack and the group, or --dry-run's pair).
 */

/** A valid alert taken on, on its way through its channel's queue. */
export interface Job {
  state: PartitionState
  entry: Entry
  record: TopicRecord
  message: SlackMessage
  alertId: string
  pipeline: string
  inDoubt: boolean
  /** 0 for an alert's post; an incident's later revision is applied to that post with chat.update. */
  revision: number
  /** When intake took it off slack-messages (epoch ms): its time in fa send is timed from here. */
  takenAt?: number
}

/** A message that failed validation: never posted, recorded and dead-lettered (a dry run shows it). */
export interface Rejected {
  state: PartitionState
  entry: Entry
  record: TopicRecord
  alertId: string | null
  /** Where it would have gone (--channel, else the payload's, '' if none). */
  channel: string
  pipeline: string
  reason: string
  /** An update's revision: its outcome is recorded under its own key. */
  revision?: number
}

/** Delivers the alerts whose turn has come on their channel; each settles its entry (see ledger.ts). */
export interface RunDeliverer {
  /** The alert has no successful response: post it (or show it). */
  post(job: Job, channel: string): Promise<void>
  /** The alert already has a successful response; the caller settles it. */
  skip(job: Job, channel: string): Promise<void>
  /** The alert's event is older than the maximum alert age: recorded as expired, never posted; settles it. */
  expire(job: Job, channel: string, eventAt: string): void
  reject(rejected: Rejected): void
  /** At the end of a stop's grace period: posts still in flight are left in doubt. */
  abandon(): void
  /** Adds the Slack client's own counters (429s, retries, history finds). */
  addStats(counts: SendCounts): void
}

/** What commits go through: the group's consumer. */
export interface CommitTarget {
  commitOffsets(offsets: Array<{topic: string; partition: number; offset: string; metadata: string}>): Promise<void>
}

/** Says how far the group has come (commits), and how to read a partition another member may have had. */
export interface RunCommitter {
  /** The consumer group to read slack-messages as. */
  readonly groupId: string
  /** Topics it writes to (they must exist). */
  readonly writes: string[]
  connect(): Promise<void>
  /** Without --follow: the drain to tell of progress. */
  watch(drain: DrainTracker): void
  /** Where to seek the partitions just assigned (none: from the group's committed offsets). */
  startOffsets(partitions: Set<number>): Promise<Array<{partition: number; offset: number}>>
  /** Whether a partition this process had is still its own, by the group's last commit. */
  owns(committed: CommittedOffset): boolean
  /** What a new owner of a partition inherits in doubt (see partitions.ts). */
  doubtOf(committed: CommittedOffset, highWatermark: number): Doubt
  /** Write-ahead: the entry may be posted from now on (listed in doubt by a commit first); false if that could not be said. */
  announce(state: PartitionState, entry: Entry): Promise<boolean>
  /** More of the partition is settled (or skipped as markers): commit it in a while. */
  progress(state: PartitionState): void
  attach(target: CommitTarget): void
  /** At a stop, after dispatch: waits for outcomes being recorded (until `deadline`), then closes every partition. */
  close(states: Iterable<PartitionState>, deadline: number): Promise<void>
  disconnect(): Promise<void>
}

/** What the parts of one run are built from: its clients, where it reads and writes, its settings. */
export interface SendContext {
  kafka: Kafka
  admin: Admin
  config: Config
  group: string
  topics: {messages: string; responses: string; deadLetters: string}
  tuning: SendTuning
  follow: boolean
  signal: AbortSignal
  log: Logger
  metrics: Metrics
}
