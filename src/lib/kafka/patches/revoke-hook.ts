import {createRequire} from 'node:module'

import type {TopicOffsets} from 'kafkajs'

import type {PatchStatus} from './index.js'

/**
 * A hook that runs before a kafkajs 2.2.4 consumer gives up its partitions: before it joins the
 * group again (a rebalance, stale metadata) and before it leaves (disconnect, a crash). Only then
 * may exactly-once transactions span several fetched batches (eachBatch returns before its
 * offsets commit): the hook commits what the member processed while it still owns the partitions,
 * as Kafka Streams commits its tasks before a rebalance. kafkajs stops its fetchers before both
 * calls, so no batch is being processed meanwhile (one fetcher per broker: see design.md).
 * Keyed by member id; a member the coordinator no longer knows rejoins without it, and its open
 * transaction then fails the commit guard's membership check.
 */
/** Commits offsets as the member (its generation): the consumer's own commit is refused once it stops, before `leave`. */
export type MemberCommit = (topics: TopicOffsets[]) => Promise<void>
type Hook = (commit: MemberCommit) => Promise<void>

const hooks = new Map<string, Hook>()
let installed: PatchStatus | undefined

export function installRevokeHook(): PatchStatus {
  installed ??= install()
  return installed
}

/** Runs `hook` before member `memberId` rejoins or leaves; returns the unregistering function. */
export function beforeRevoke(memberId: string, hook: Hook): () => void {
  hooks.set(memberId, hook)
  return () => {
    if (hooks.get(memberId) === hook) hooks.delete(memberId)
  }
}

function install(): PatchStatus {
  try {
    const require = createRequire(import.meta.url)
    const {version} = require('kafkajs/package.json') as {version: string}
    if (version !== '2.2.4') return {active: false, reason: `kafkajs is ${version}, the hook is for 2.2.4`}
    const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {prototype: GroupLike}
    const {joinAndSync, leave} = ConsumerGroup.prototype
    if (typeof joinAndSync !== 'function' || typeof leave !== 'function')
      return {active: false, reason: 'kafkajs has no ConsumerGroup#joinAndSync or #leave'}
    const run = async (group: GroupLike) => {
      const hook = group.memberId ? hooks.get(group.memberId) : undefined
      // The hook reports its own failures (a failed commit rewinds); the group change goes on.
      if (hook) await hook((topics) => group.commitOffsets({topics})).catch(() => {})
    }
    ConsumerGroup.prototype.joinAndSync = async function (this: GroupLike) {
      await run(this)
      return joinAndSync.call(this)
    }
    ConsumerGroup.prototype.leave = async function (this: GroupLike) {
      await run(this)
      return leave.call(this)
    }
    return {active: true}
  } catch (error) {
    return {active: false, reason: `kafkajs' modules are not laid out as expected (${(error as Error).message})`}
  }
}

interface GroupLike {
  memberId: string | null
  commitOffsets(offsets: {topics: TopicOffsets[]}): Promise<void>
  joinAndSync(): Promise<unknown>
  leave(): Promise<unknown>
}
