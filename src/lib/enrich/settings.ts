import {hostname} from 'node:os'

import {commitGuardMissing} from '../kafka/patches/commit-guard.js'
import {installKafkajsPatches} from '../kafka/patches/index.js'
import {defaultTuning, modeDefaults, type EnrichTuning} from '../kafka/tuning.js'
import {noMetrics, type Metrics} from '../metrics/room.js'
import {silentLogger, type Logger} from '../output/log.js'
import type {EnrichOptions, Guarantee} from './options.js'
import {transactionalIdFor} from './transactional-id.js'

/** What a run is, decided from its options before it connects to anything. */
export interface RunSettings {
  log: Logger
  metrics: Metrics
  tuning: EnrichTuning
  group: string
  guarantee: Guarantee
  transactionalId: string | null
  follow: boolean
  signal: AbortSignal
}

/** The run's settings; under --exactly-once, refuses to run without the patches its commits rely on. */
export function runSettings(options: EnrichOptions): RunSettings {
  const {config} = options
  if (options.exactlyOnce) {
    // Without the guard an expelled member's transactions could still commit: refuse, never weaken.
    const {commitGuard, revokeHook} = installKafkajsPatches()
    if (!commitGuard.active) throw commitGuardMissing(commitGuard.reason)
    if (!revokeHook.active) throw commitGuardMissing(revokeHook.reason)
  }
  const group = options.group ?? config.enrich.group
  return {
    log: options.log ?? silentLogger,
    metrics: options.metrics ?? noMetrics,
    tuning: {...defaultTuning, ...modeDefaults(options.follow), ...options.tuning},
    group,
    guarantee: options.exactlyOnce ? 'exactly-once' : 'at-least-once',
    transactionalId: options.exactlyOnce ? transactionalIdFor(config, group, options.instance ?? hostname()) : null,
    follow: Boolean(options.follow),
    signal: options.signal ?? new AbortController().signal,
  }
}
