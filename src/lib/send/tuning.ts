import {defaultTuning, tuningFromEnv} from '../kafka/tuning.js'

/** Consumer timings (as `fa enrich`'s: FA_KAFKA_SESSION_TIMEOUT_MS, ...) and send's own. */
export interface SendTuning {
  sessionTimeout: number
  heartbeatInterval: number
  rebalanceTimeout: number
  maxWaitTimeInMs: number
  maxBytesPerPartition: number
  /** Messages taken on and not yet recorded, across partitions, before fetching waits. */
  maxPending: number
  /** How long a stop waits for posts in flight before leaving them in doubt. */
  stopGraceMs: number
}

export const defaultSendTuning: SendTuning = {
  sessionTimeout: defaultTuning.sessionTimeout,
  heartbeatInterval: defaultTuning.heartbeatInterval,
  rebalanceTimeout: defaultTuning.rebalanceTimeout,
  maxWaitTimeInMs: defaultTuning.maxWaitTimeInMs,
  maxBytesPerPartition: defaultTuning.maxBytesPerPartition,
  maxPending: 5_000,
  stopGraceMs: 5_000,
}

/** FA_KAFKA_* as for `fa enrich`, plus FA_SEND_MAX_PENDING and FA_SEND_STOP_GRACE_MS. */
export function sendTuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SendTuning> {
  const {sessionTimeout, heartbeatInterval, rebalanceTimeout, maxWaitTimeInMs, maxBytesPerPartition} =
    tuningFromEnv(env)
  const out: Partial<SendTuning> = {
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout,
    maxWaitTimeInMs,
    maxBytesPerPartition,
  }
  for (const [name, variable] of [
    ['maxPending', 'FA_SEND_MAX_PENDING'],
    ['stopGraceMs', 'FA_SEND_STOP_GRACE_MS'],
  ] as const) {
    const value = Number(env[variable])
    if (env[variable] && Number.isInteger(value) && value > 0) out[name] = value
  }
  for (const key of Object.keys(out) as Array<keyof SendTuning>) if (out[key] === undefined) delete out[key]
  return out
}
