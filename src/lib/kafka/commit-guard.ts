import {createRequire} from 'node:module'

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
let installed: boolean | undefined

/**
 * Runs `guard` before each commit of `transactionalId`. Returns false (and does nothing) where
 * kafkajs is not the 2.2.4 whose Broker#endTxn it wraps; callers then check before committing.
 */
export function guardCommits(transactionalId: string, guard: Guard): boolean {
  if (!install()) return false
  guards.set(transactionalId, guard)
  return true
}

export function unguardCommits(transactionalId: string): void {
  guards.delete(transactionalId)
}

function install(): boolean {
  if (installed !== undefined) return installed
  installed = false
  try {
    const require = createRequire(import.meta.url)
    if ((require('kafkajs/package.json') as {version: string}).version !== '2.2.4') return false
    const Broker = require('kafkajs/src/broker/index.js') as {prototype: {endTxn(args: EndTxnArgs): Promise<unknown>}}
    const endTxn = Broker.prototype.endTxn
    if (typeof endTxn !== 'function') return false
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
    installed = true
  } catch {
    // Layout not as expected: callers check before committing instead.
  }
  return installed
}

interface EndTxnArgs {
  transactionalId: string
  transactionResult: boolean
}
