import type {Admin} from 'kafkajs'

import {FaError} from '../errors.js'

/**
 * A member that stalled past its session timeout (a long pause, a network cut) has been
 * expelled and its partitions handed on; batches it read before must not commit, or they would
 * be written twice, even after it joined again (as a new member). The returned check runs just
 * before each commit (the writer's beforeCommit), against the member that read each batch; what
 * is left open is a stall between this answer and the commit request, a few microtasks.
 * `onExpelled` starts a fresh consumer (not awaited: the batch that found out fails now).
 */
export function membershipCheck(options: {
  admin: Admin
  group: string
  sessionTimeout: number
  onExpelled: () => void
}): (readBy: string[]) => Promise<void> {
  const {admin, group, sessionTimeout} = options
  return async (readBy) => {
    if (readBy.length === 0) return
    const asked = performance.now()
    const {groups} = await admin.describeGroups([group])
    const members = groups[0]?.members ?? []
    const ms = Math.round(performance.now() - asked)
    const gone = !readBy.every((id) => members.some((m) => m.memberId === id))
    // An answer that took long may be stale: the process may have been frozen after it was sent.
    if (gone || ms > sessionTimeout / 3) {
      options.onExpelled()
      throw new FaError(
        gone
          ? `this instance was expelled from group ${group} (no heartbeat within the session timeout) ` +
              `while a batch was in flight; the batch is aborted and whoever owns its partition now processes it`
          : `group ${group} took ${ms} ms to say who its members are: this instance may have been ` +
              `expelled meanwhile, so the batch is aborted and read again`,
      )
    }
  }
}
