import {installCommitGuard} from './commit-guard.js'
import {installOffsetsRetry} from './offsets-retry.js'
import {installRevokeHook} from './revoke-hook.js'
import {silenceKafkajsTimeoutWarning} from './node-warnings.js'
import {speedUpKafkaJs} from './speedup.js'
import {installStableOffsets} from './stable-offsets.js'

/**
 * fa keeps a small fork of six kafkajs 2.2.4 internals (the last release; package.json pins
 * it exactly, since every patch assumes its module layout): the producer speed-up (speedup.ts),
 * the commit guard, the revoke hook and the stable committed offsets exactly-once relies on
 * (commit-guard.ts, revoke-hook.ts, stable-offsets.ts), ListOffsets retried while a leader moves
 * (offsets-retry.ts) and the Node 24 warning kafkajs triggers (node-warnings.ts).
 */

/** Whether a patch is in place, and if not, why. */
export type PatchStatus = {active: true} | {active: false; reason: string}

export interface PatchReport {
  speedUp: PatchStatus
  commitGuard: PatchStatus
  revokeHook: PatchStatus
  offsetsRetry: PatchStatus
  stableOffsets: PatchStatus
  nodeWarnings: PatchStatus
}

/** Installs every patch (each once; the speed-up only before kafkajs is loaded) and says which are active. */
export function installKafkajsPatches(): PatchReport {
  return {
    nodeWarnings: silenceKafkajsTimeoutWarning(),
    // Before the commit guard, which loads some of kafkajs' modules.
    speedUp: speedUpKafkaJs(),
    commitGuard: installCommitGuard(),
    revokeHook: installRevokeHook(),
    offsetsRetry: installOffsetsRetry(),
    stableOffsets: installStableOffsets(),
  }
}

/** The report as log fields: `active`, or `inactive: <why>`. */
export function describePatches(report: PatchReport): Record<string, string> {
  return Object.fromEntries(
    Object.entries(report).map(([name, status]: [string, PatchStatus]) => [
      name,
      status.active ? 'active' : `inactive: ${status.reason}`,
    ]),
  )
}
