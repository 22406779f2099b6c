import v8 from 'node:v8'

/**
 * The young generation's size a dry run keeps it near: v8.getHeapSpaceStatistics' `space_size`
 * of `new_space`. Past it, scavenges are fewer but no cheaper in all: what survives them (open
 * incidents, queued output) is the same.
 */
export const YOUNG_GENERATION_CAP = 16 << 20

/** The growth factor V8 starts with, and the one that stops new space growing. */
const GROWING = '--semi-space-growth-factor=2'
const HELD = '--semi-space-growth-factor=1'

/**
 * Keeps a long dry run's young generation at YOUNG_GENERATION_CAP. V8 doubles new space
 * whenever much of what it allocates survives a scavenge, as a dry run's open incidents do, up
 * to a maximum set when the process started (a flag a `#!/usr/bin/env node` script cannot
 * pass); new space then makes up much of the peak memory. The growth factor is the one knob V8
 * reads after start-up (at each growth), so this holds it at 1 while new space is near the cap and
 * gives V8 its own back below it (after a shrink) and at the end. It is process-wide: only for a
 * dry run on one thread, and not when the process was given young-generation flags of its own.
 */
export class YoungGenerationCap {
  private held = false
  private readonly active = !ownFlags()

  /**
   * Between chunks: holds new space once its next growth would reach the cap (a chunk may grow
   * it more than once before the next check), or lets it grow again below that.
   */
  check(): void {
    if (!this.active) return
    const hold = 2 * newSpaceSize() >= YOUNG_GENERATION_CAP
    if (hold !== this.held) v8.setFlagsFromString(hold ? HELD : GROWING)
    this.held = hold
  }

  /** At the end of the run: V8's own growth back. */
  release(): void {
    if (this.held) v8.setFlagsFromString(GROWING)
    this.held = false
  }
}

function newSpaceSize(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0
}

/** The process was started with its own say on the young generation's size or growth. */
function ownFlags(): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)]
  return given.some((flag) => /semi[-_]space/.test(flag))
}
