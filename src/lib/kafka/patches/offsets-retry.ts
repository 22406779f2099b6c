import {createRequire} from 'node:module'

import type {PatchStatus} from './index.js'

/**
 * kafkajs 2.2.4 gives up at once when a ListOffsets answers that the broker asked is not the
 * partition's leader, or that it has none yet: a topic just created (its leader in the metadata
 * before its log is up on the broker) or a leader moving. Both are retriable, and the Java client
 * retries them. `Cluster#fetchTopicsOffset` (behind the admin's offsets, the consumer's seeks and
 * fa's own reads) now refreshes the metadata and asks again, with backoff, for a few seconds.
 */
const LEADER_MOVING = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE'])

interface ClusterLike {
  refreshMetadata(): Promise<void>
}

type FetchTopicsOffset = (this: ClusterLike, topics: unknown[]) => Promise<unknown>

/** `original`, asked again while the answer is a leader moving, up to `forMs` (the error after that). */
export function retryingLeaderMoves(original: FetchTopicsOffset, forMs = 5_000): FetchTopicsOffset {
  return async function (this: ClusterLike, topics: unknown[]) {
    const until = Date.now() + forMs
    for (let waitMs = 50; ; waitMs = Math.min(2 * waitMs, 1_000)) {
      try {
        return await original.call(this, topics)
      } catch (error) {
        if (!LEADER_MOVING.has((error as {type?: string}).type ?? '') || Date.now() + waitMs > until) throw error
        await new Promise((resolve) => setTimeout(resolve, waitMs))
        await this.refreshMetadata()
      }
    }
  }
}

let installed: PatchStatus | undefined

export function installOffsetsRetry(): PatchStatus {
  installed ??= install()
  return installed
}

function install(): PatchStatus {
  try {
    const require = createRequire(import.meta.url)
    const {version} = require('kafkajs/package.json') as {version: string}
    if (version !== '2.2.4') return {active: false, reason: `kafkajs is ${version}, the retry is for 2.2.4`}
    const Cluster = require('kafkajs/src/cluster/index.js') as {prototype: {fetchTopicsOffset?: FetchTopicsOffset}}
    const original = Cluster.prototype.fetchTopicsOffset
    if (typeof original !== 'function') return {active: false, reason: 'kafkajs has no Cluster#fetchTopicsOffset'}
    Cluster.prototype.fetchTopicsOffset = retryingLeaderMoves(original)
    return {active: true}
  } catch (error) {
    return {active: false, reason: `kafkajs' modules are not laid out as expected (${(error as Error).message})`}
  }
}
