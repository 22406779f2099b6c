import type {Config} from '../config/schema.js'
import type {StartFrom} from '../kafka/start-from.js'
import type {EnrichTuning} from '../kafka/tuning.js'
import type {Metrics} from '../metrics/room.js'
import type {Logger} from '../output/log.js'
import type {Summary} from '../pipeline/summary.js'
import type {Topology} from '../pipeline/topology.js'
import type {LagReport} from './lag.js'
import type {TableStats} from './table-loader.js'

/** What `fa enrich` is asked to do (runEnrich's options) and what it reports. */
export type Guarantee = 'at-least-once' | 'exactly-once'

export interface EnrichOptions {
  config: Config
  topology: Topology
  /** Consumer group (default: config enrich.group). */
  group?: string
  exactlyOnce?: boolean
  /** Part of the transactional id: stable per instance, distinct between instances of a group (default: host name). */
  instance?: string
  /** Run until `signal` aborts; otherwise stop at the end offsets seen at start. */
  follow?: boolean
  /** Where the group starts on partitions without committed offsets; a new group needs it (see start-from.ts). */
  from?: StartFrom
  signal?: AbortSignal
  log?: Logger
  tuning?: Partial<EnrichTuning>
  /** Progress bars on a TTY (default true). */
  progress?: boolean
  env?: NodeJS.ProcessEnv
  /** Where outcomes are counted (`fa enrich --follow` with a metrics port); none by default. */
  metrics?: Metrics
  /**
   * Whether this run writes and counts the tables' dead letters and table records (default
   * true); false for the other threads of `--threads`, which load the same tables.
   */
  tableOutcomes?: boolean
  /**
   * Awaited once the tables are loaded, before the group is joined: the threads of `--threads`
   * join together, so the group settles in one rebalance rather than one per thread.
   */
  beforeJoin?: () => Promise<void>
}

export interface EnrichResult {
  guarantee: Guarantee
  group: string
  transactionalId: string | null
  follow: boolean
  /** Why the run ended: it reached the end offsets seen at start, or a signal stopped it. */
  stoppedBy: 'end' | 'signal'
  summary: Summary
  tables: TableStats[]
  bootstrap: {records: number; ms: number}
  /** Records of the source (and repartition) topics not yet processed when the run ended (null if it could not be read). */
  lag: LagReport | null
  ms: number
  /** Time spent consuming the source topics (from starting the consumer to the end offsets, or to the signal). */
  streamMs: number
  /** When the consumer started, and when the last batch was written and committed (epoch ms; null: none). */
  streamStartedAt: number | null
  lastBatchAt: number | null
}
