/**
 * A step's verdict on a record it does not pass on. Steps that pass a record on add to the
 * context in place: each record gets a fresh context per alert type, and copying it at every
 * step was a large share of replay's time.
 */
export class Stop {
  constructor(
    readonly kind: 'drop' | 'dead-letter',
    readonly reason: string,
    /** What `--explain` says beyond the reason: which step, which key was looked up. */
    readonly detail?: string,
  ) {}
}
