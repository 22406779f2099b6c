import type {Config} from '../config/schema.js'
import type {StartFrom} from '../kafka/start-from.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {RenderDryRun} from './dry-run.js'
import type {DelivererLike} from './post.js'
import type {SendSummary} from './summary.js'
import type {SendTuning} from './tuning.js'

/** What `fa send` is asked to do (runSend's options) and what it reports. */
export interface SendOptions {
  config: Config
  /** Consumer group (default: slack.group in the config). */
  group?: string
  /** Run until `signal` aborts; otherwise stop at the end offsets seen at start. */
  follow?: boolean
  /** Where the group starts on partitions without committed offsets; a new group needs it (see start-from.ts). */
  from?: StartFrom
  /** Alerts whose event is older than this are recorded as expired instead of posted (default: slack.maxAlertAge). */
  maxAgeMs?: number
  /** Post everything to this channel instead of each message's own. */
  channel?: string
  signal?: AbortSignal
  log?: Logger
  tuning?: Partial<SendTuning>
  env?: NodeJS.ProcessEnv
  /**
   * Makes the Deliverer; `stop` aborts it (waits end at once, posts in flight finish). Absent
   * for a dry run, which renders through `onDryRun` instead and commits nothing.
   */
  createDeliverer?: (stop: AbortSignal) => DelivererLike
  onDryRun?: RenderDryRun
  /** Where outcomes are counted (`fa send --follow` with a metrics port); none by default. */
  metrics?: Metrics
}

export interface SendResult extends SendSummary {
  /** The error that ended the run (auth revoked mid-run, ...), after everything was recorded and committed. */
  error?: Error
}
