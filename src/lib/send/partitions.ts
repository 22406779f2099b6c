import type {CommittedOffset} from '../kafka/drain.js'

/*
 * Which alerts may already be in Slack without a recorded response ("in doubt")?
 *
 * Slack has no idempotency key, so the only window that can post twice is: a post reached Slack,
 * then the process died (or was stopped) before its response was recorded. Only alerts at or
 * after the group's committed offset can be in that window (an offset is committed only after
 * every response before it is acknowledged), and only those some `fa send` had taken on.
 * Treating every unrecorded alert as in doubt after every restart would cost a
 * `conversations.history` call (Tier 3: ~50/min) per alert on every cron run, so the metadata
 * of the committed offset says how far doubt reaches; the offset itself never moves early:
 *
 * - `state=open doubt-until=N`: before taking on any offset >= N, a process commits (and awaits)
 *   a higher N (ANNOUNCE_CHUNK offsets at a time, write-ahead: intake.ts), and every commit
 *   while it runs repeats it. A process that finds `open` took over from one that crashed or
 *   lost the partition: [committed, N) is in doubt, and its lookups wait `slack.timeoutMs` so
 *   that a request the old owner still had in flight has landed or failed first. Metadata it
 *   does not know (another tool, an older fa) counts as open up to the high watermark at takeover.
 * - `state=closed`: written at a graceful stop, after posts in flight finished. `doubt-until=N`
 *   keeps the range of posts that were cut short (an aborted ambiguous post) or an inherited
 *   range not worked off yet; without it nothing is in doubt, so a cron run after a clean one
 *   does no lookups at all.
 * - no committed offset: nobody ever posted from the partition (they would have announced first).
 *
 * An in-doubt alert goes to the Deliverer with `inDoubt` and `since` (its record's time less
 * clock skew), which searches the channel's history for the alert id before posting.
 */

const PREFIX = 'fa-send/1'

export interface CommitMeta {
  state: 'open' | 'closed'
  /** The process that wrote it (a random id per run). */
  instance: string
  /** When it was written (ms since the epoch). */
  at: number
  /** Offsets from the committed one up to this may have been posted without a response (open: may be, by the writer). */
  doubtUntil?: number
}

export function encodeMeta(meta: CommitMeta): string {
  return `${PREFIX} state=${meta.state} instance=${meta.instance} at=${meta.at}${meta.doubtUntil === undefined ? '' : ` doubt-until=${meta.doubtUntil}`}`
}

export function parseMeta(text: string | null | undefined): CommitMeta | undefined {
  if (!text?.startsWith(PREFIX + ' ')) return undefined
  const fields = Object.fromEntries(
    text
      .slice(PREFIX.length + 1)
      .split(' ')
      .map((part) => part.split('=') as [string, string?]),
  )
  const state = fields.state
  const at = Number(fields.at)
  if ((state !== 'open' && state !== 'closed') || !fields.instance || !Number.isFinite(at)) return undefined
  const doubtUntil = fields['doubt-until'] === undefined ? undefined : Number(fields['doubt-until'])
  if (doubtUntil !== undefined && !Number.isSafeInteger(doubtUntil)) return undefined
  return {state, instance: fields.instance, at, doubtUntil}
}

export interface Doubt {
  /** Offsets in [from, until) without a response may already be in Slack. */
  from: number
  until: number
  /** History lookups for them wait until then (ms since the epoch). */
  lookupNotBefore: number
}

/** The in-doubt range a new owner of a partition inherits from the group's committed offset. */
export function inheritedDoubt(
  committed: CommittedOffset,
  highWatermark: number,
  now: number,
  requestTimeoutMs: number,
): Doubt {
  if (committed.offset < 0) return NONE
  const meta = parseMeta(committed.metadata)
  if (meta?.state === 'closed') {
    const until = meta.doubtUntil ?? 0
    return until > committed.offset
      ? {from: committed.offset, until, lookupNotBefore: meta.at + requestTimeoutMs}
      : NONE
  }
  // open: as far as the owner announced; written by something else: the worst the owner can have read.
  const until = meta?.doubtUntil ?? highWatermark
  return until > committed.offset ? {from: committed.offset, until, lookupNotBefore: now + requestTimeoutMs} : NONE
}

const NONE: Doubt = {from: 0, until: 0, lookupNotBefore: 0}

export interface Entry {
  offset: number
  done: boolean
}

/**
 * One partition of slack-messages while this process owns it: the offsets taken on (in order),
 * which of them are recorded, and so the offset that can be committed (the first one not done).
 */
export class PartitionState {
  /** The next offset after everything taken on (or skipped as markers). */
  seen: number
  /** Last offset committed by this process (-1 none yet). */
  committed = -1
  /** Highest offset whose delivery was cut short with a post that may exist (-1 none). */
  abandonedInDoubt = -1
  /** Another member took the partition over: nothing more is dispatched or committed from this state. */
  detached = false
  /** Set at each rebalance: check the committed metadata before going on. */
  needsCheck = false
  /** Offsets below this may be posted: announced in an `open` commit before they are taken on. */
  announced: number
  commitTimer: NodeJS.Timeout | undefined
  /** The last commit (commits of a partition run one after another). */
  commitChain: Promise<unknown> = Promise.resolve()
  private readonly entries: Entry[] = []
  private head = 0

  constructor(
    readonly topic: string,
    readonly partition: number,
    start: number,
    readonly doubt: Doubt,
  ) {
    this.seen = start
    this.announced = start
  }

  isInDoubt(offset: number): boolean {
    return offset >= this.doubt.from && offset < this.doubt.until
  }

  track(offset: number): Entry {
    const entry = {offset, done: false}
    this.entries.push(entry)
    this.seen = offset + 1
    return entry
  }

  /** The offset to commit: everything before it is recorded. */
  watermark(): number {
    while (this.head < this.entries.length && this.entries[this.head]!.done) this.head++
    if (this.head > 1024) {
      this.entries.splice(0, this.head)
      this.head = 0
    }
    return this.entries[this.head]?.offset ?? this.seen
  }

  /** Entries taken on and not done (queued, in flight, or abandoned). */
  get outstanding(): number {
    this.watermark()
    let n = 0
    for (let i = this.head; i < this.entries.length; i++) if (!this.entries[i]!.done) n++
    return n
  }

  /** The in-doubt bound to leave in the metadata when closing at `committed`, if any. */
  closingDoubtUntil(committed: number): number | undefined {
    const until = Math.max(this.doubt.until, this.abandonedInDoubt + 1)
    return until > committed ? until : undefined
  }
}
