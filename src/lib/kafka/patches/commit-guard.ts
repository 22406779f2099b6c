import {createRequire} from 'node:module'

import {FaError} from '../../errors.js'
import type {PatchStatus} from './index.js'

/**
 * A check that runs right before kafkajs sends a transaction's EndTxn(commit), after every other
 * request of the commit (kafkajs looks the transaction coordinator up again first): throwing
 * aborts the commit. fa uses it to refuse commits from a consumer group member the group has
 * expelled, which the broker cannot do itself because kafkajs 2.2.4 sends transactional offsets
 * without the group generation (KIP-447). Checked earlier, a process frozen between the check
 * and the EndTxn (for longer than the session timeout) would still commit.
 */
type Guard = () => Promise<void>

const guards = new Map<string, Guard>()
let installed: PatchStatus | undefined

/** Wraps kafkajs 2.2.4's Broker#endTxn (once); says why not where kafkajs is another version or layout. */
export function installCommitGuard(): PatchStatus {
  installed ??= install()
  return installed
}

/** Runs `guard` before each commit of `transactionalId`; throws where the guard cannot be installed. */
export function guardCommits(transactionalId: string, guard: Guard): void {
  const status = installCommitGuard()
  if (!status.active) throw commitGuardMissing(status.reason)
  guards.set(transactionalId, guard)
}

export function unguardCommits(transactionalId: string): void {
  guards.delete(transactionalId)
}

/** Transactions without the guard could commit batches of an expelled member: refuse them. */
export function commitGuardMissing(reason: string): FaError {
  // A usage error (exit 2), not a Kafka one: follow mode retries those, and this never clears up.
  return new FaError(`--exactly-once needs fa's commit guard on kafkajs, which is not installed: ${reason}`, {
    hint: 'install the kafkajs version package.json pins (npm ci), or run without --exactly-once',
  })
}

function install(): PatchStatus {
  try {
    const require = createRequire(import.meta.url)
    const {version} = require('kafkajs/package.json') as {version: string}
    if (version !== '2.2.4') return {active: false, reason: `kafkajs is ${version}, the guard is for 2.2.4`}
    const Broker = require('kafkajs/src/broker/index.js') as {prototype: {endTxn(args: EndTxnArgs): Promise<unknown>}}
    const endTxn = Broker.prototype.endTxn
    if (typeof endTxn !== 'function') return {active: false, reason: 'kafkajs has no Broker#endTxn'}
    Broker.prototype.endTxn = async function (this: unknown, args: EndTxnArgs) {
      const guard = args.transactionResult ? guards.get(args.transactionalId) : undefined
      if (guard) {
        try {
          await guard()
        } catch (error) {
          // End it as an abort, so no open transaction holds back read_committed consumers.
          await endTxn.call(this, {...args, transactionResult: false})
          throw error
        }
      }
      return endTxn.call(this, args)
    }
    return {active: true}
  } catch (error) {
    return {active: false, reason: `kafkajs' modules are not laid out as expected (${(error as Error).message})`}
  }
}

interface EndTxnArgs {
  transactionalId: string
  transactionResult: boolean
}
