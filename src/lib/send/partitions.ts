import type {CommittedOffset} from '../kafka/drain.js'

/*
 * Which alerts may already be in Slack without a recorded response ("in doubt")?
 *
 * Slack has no idempotency key, so the only window that can post twice is: a post reached Slack,
 * then the process died (or was stopped) before its response was recorded. Only alerts at or
 * after the group's committed offset can be in that window (an offset is committed only after
 * every response before it is acknowledged), and only those some `fa send` had started to post.
 * Each in-doubt alert costs a `conversations.history` read (Tier 3: ~50/min) of its channel, so
 * the metadata of the committed offset lists exactly the offsets that may be in Slack unrecorded;
 * the offset itself never moves early:
 *
 * - `state=open doubt=40-47,52`: before posting an alert, a process commits (and awaits) metadata
 *   that lists its offset (write-ahead: the poster announces it, post.ts), and every commit while
 *   it runs lists the offsets still posting or unrecorded. A process that finds `open` took over
 *   from one that crashed or lost the partition: the listed offsets are in doubt, and its lookups
 *   wait `slack.timeoutMs` so that a request the old owner still had in flight has landed or
 *   failed first. Metadata it does not know (another tool, an older fa) counts as open up to the
 *   high watermark at takeover; an older fa's `doubt-until=N` as everything below N.
 * - `state=closed`: written at a graceful stop, after posts in flight finished. `doubt=` keeps the
 *   posts that were cut short (an aborted ambiguous post) or an inherited range not worked off
 *   yet; without it nothing is in doubt, so a cron run after a clean one does no lookups at all.
 * - no committed offset: nobody ever posted from the partition (they would have announced first).
 *
 * An in-doubt alert goes to the Deliverer with `inDoubt` and `since` (its record's time less
 * clock skew), which searches the channel's history for the alert id before posting.
 */

const PREFIX = 'fa-send/1'

/** Offsets [from, until). */
export type Range = readonly [from: number, until: number]

export interface CommitMeta {
  state: 'open' | 'closed'
  /** The process that wrote it (a random id per run). */
  instance: string
  /** When it was written (ms since the epoch). */
  at: number
  /** Offsets that may have been posted without a response (open: may be, by the writer). */
  doubt?: readonly Range[]
}

// Kafka's offset.metadata.max.bytes is 4096 by default: past this, neighbouring ranges are merged (covering more).
const MAX_DOUBT_CHARS = 2_000

export function encodeMeta(meta: CommitMeta): string {
  const doubt = meta.doubt?.length ? ` doubt=${encodeRanges(meta.doubt)}` : ''
  return `${PREFIX} state=${meta.state} instance=${meta.instance} at=${meta.at}${doubt}`
}

/** `40-47,52`: inclusive, ascending; merged at the smallest gaps while too long. */
function encodeRanges(input: readonly Range[]): string {
  let ranges = normalize(input)
  for (;;) {
    const text = ranges.map(([from, until]) => (until - from === 1 ? `${from}` : `${from}-${until - 1}`)).join(',')
    if (text.length <= MAX_DOUBT_CHARS || ranges.length < 2) return text
    let gap = 1
    for (let i = 1; i < ranges.length; i++)
      if (ranges[i]![0] - ranges[i - 1]![1] < ranges[gap]![0] - ranges[gap - 1]![1]) gap = i
    ranges = [...ranges.slice(0, gap - 1), [ranges[gap - 1]![0], ranges[gap]![1]], ...ranges.slice(gap + 1)]
  }
}

function parseRanges(text: string): Range[] | undefined {
  const ranges: Range[] = []
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part)
    if (!match) return undefined
    const from = Number(match[1])
    const last = Number(match[2] ?? match[1])
    if (!Number.isSafeInteger(last) || last < from) return undefined
    ranges.push([from, last + 1])
  }
  return ranges
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
  let doubt: Range[] | undefined
  if (fields.doubt !== undefined) {
    doubt = parseRanges(fields.doubt)
    if (!doubt) return undefined
  } else if (fields['doubt-until'] !== undefined) {
    // Written by an older fa: everything below it (from the committed offset on) is in doubt.
    const until = Number(fields['doubt-until'])
    if (!Number.isSafeInteger(until)) return undefined
    doubt = [[0, until]]
  }
  return {state, instance: fields.instance, at, doubt}
}

/** Sorted, merged, without empty ranges, and only offsets at or after `from`. */
export function normalize(ranges: Iterable<Range>, from = 0): Range[] {
  const sorted = [...ranges]
    .map(([a, b]): Range => [Math.max(a, from), b])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0])
  const out: Array<[number, number]> = []
  for (const [a, b] of sorted) {
    const last = out.at(-1)
    if (last && a <= last[1]) last[1] = Math.max(last[1], b)
    else out.push([a, b])
  }
  return out
}

export function covers(ranges: readonly Range[], offset: number): boolean {
  return ranges.some(([from, until]) => offset >= from && offset < until)
}

export interface Doubt {
  /** Offsets in these ranges without a response may already be in Slack. */
  ranges: Range[]
  /** History lookups for them wait until then (ms since the epoch). */
  lookupNotBefore: number
}

export const NO_DOUBT: Doubt = {ranges: [], lookupNotBefore: 0}

/** The in-doubt offsets a new owner of a partition inherits from the group's committed offset. */
export function inheritedDoubt(
  committed: CommittedOffset,
  highWatermark: number,
  now: number,
  requestTimeoutMs: number,
): Doubt {
  if (committed.offset < 0) return NO_DOUBT
  const meta = parseMeta(committed.metadata)
  // Written by something else: the worst the owner can have read.
  const listed = meta ? (meta.doubt ?? []) : [[committed.offset, highWatermark] as const]
  const ranges = normalize(listed, committed.offset)
  if (ranges.length === 0) return NO_DOUBT
  return {ranges, lookupNotBefore: meta?.state === 'closed' ? meta.at + requestTimeoutMs : now + requestTimeoutMs}
}

export interface Entry {
  offset: number
  done: boolean
  /** Announced for posting (a post may reach Slack) and not unposted since; in doubt until done. */
  posting?: boolean
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
  /** Another member took the partition over: nothing more is dispatched or committed from this state. */
  detached = false
  /** Set at each rebalance: check the committed metadata before going on. */
  needsCheck = false
  /** What the last successful commit listed in doubt: these offsets may be posted. */
  announced: Range[] = []
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
  }

  isInDoubt(offset: number): boolean {
    return covers(this.doubt.ranges, offset)
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

  /**
   * What a commit at `committed` lists in doubt: the inherited offsets not worked off yet, and
   * those announced for posting without a recorded response (in flight, or cut short by a stop).
   */
  doubtAt(committed: number): Range[] {
    const posting: Range[] = []
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!
      if (e.posting && !e.done) posting.push([e.offset, e.offset + 1])
    }
    return normalize([...this.doubt.ranges, ...posting], committed)
  }
}
