/** Consumer and producer settings that matter for latency, throughput and failover speed. */
export interface EnrichTuning {
  /** A member that stops heartbeating leaves the group after this long (a killed process's partitions move then). */
  sessionTimeout: number
  heartbeatInterval: number
  rebalanceTimeout: number
  /** How long a fetch waits for data when there is none (follow mode latency when idle; a drain's default is shorter, see modeDefaults). */
  maxWaitTimeInMs: number
  maxBytesPerPartition: number
  maxBytes: number
  partitionsConsumedConcurrently: number
  /** Estimated bytes per produce request (under the broker's message.max.bytes). */
  maxRequestBytes: number
  /** An alert above this is dead-lettered as its source record; a dead letter above it keeps only its headers. */
  maxRecordBytes: number
  /** Exactly-once: a transaction spans the batches of this many ms (Kafka Streams' commit.interval.ms). */
  commitIntervalMs: number
}

export const defaultTuning: EnrichTuning = {
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
  rebalanceTimeout: 60_000,
  maxWaitTimeInMs: 500,
  // Smaller fetch rounds keep rebalances quick (a member rejoins only after its round) and what
  // at-least-once may repeat after one small; 1 MiB per partition is still ~2,000 events a batch.
  maxBytesPerPartition: 1 << 20,
  maxBytes: 16 << 20,
  partitionsConsumedConcurrently: 4,
  maxRequestBytes: 900_000,
  maxRecordBytes: 1_000_000,
  // Kafka Streams' default under exactly-once: a commit's round trips shared by ~100 ms of batches,
  // at most that much processed work redone after a crash (never written twice).
  commitIntervalMs: 100,
}

/**
 * Without --follow, how long a fetch waits on partitions with nothing more (unless set): stopping
 * waits for the fetches in flight, so a cron run would end that much later. Following, the default
 * is the idle latency.
 */
const DRAIN_MAX_WAIT_MS = 100

/** What a run's mode changes in the defaults, under what the user set (enrich's and send's). */
export const modeDefaults = (follow: boolean | undefined): Partial<EnrichTuning> =>
  follow ? {} : {maxWaitTimeInMs: DRAIN_MAX_WAIT_MS}

const TUNING_ENV: Record<keyof EnrichTuning, string> = {
  sessionTimeout: 'FA_KAFKA_SESSION_TIMEOUT_MS',
  heartbeatInterval: 'FA_KAFKA_HEARTBEAT_INTERVAL_MS',
  rebalanceTimeout: 'FA_KAFKA_REBALANCE_TIMEOUT_MS',
  maxWaitTimeInMs: 'FA_KAFKA_MAX_WAIT_MS',
  maxBytesPerPartition: 'FA_KAFKA_MAX_BYTES_PER_PARTITION',
  maxBytes: 'FA_KAFKA_MAX_BYTES',
  partitionsConsumedConcurrently: 'FA_KAFKA_CONCURRENCY',
  maxRequestBytes: 'FA_KAFKA_MAX_REQUEST_BYTES',
  maxRecordBytes: 'FA_KAFKA_MAX_RECORD_BYTES',
  commitIntervalMs: 'FA_KAFKA_COMMIT_INTERVAL_MS',
}

/** Tuning from the environment (`FA_KAFKA_SESSION_TIMEOUT_MS=6000` ...); unset or invalid values are ignored. */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<EnrichTuning> {
  const out: Partial<EnrichTuning> = {}
  for (const [name, variable] of Object.entries(TUNING_ENV) as Array<[keyof EnrichTuning, string]>) {
    const value = Number(env[variable])
    if (env[variable] && Number.isInteger(value) && value > 0) out[name] = value
  }
  return out
}
