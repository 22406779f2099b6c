/*
 * Kafka's OffsetFetch tells a group's committed offsets but not when they were committed, so fa
 * writes the time into each commit's metadata (`at=<epoch ms>`), where `fa status` reads it.
 * fa send's metadata carries it among its own fields (send/partitions.ts); fa enrich's and
 * `fa offsets reset`'s are `commitMetadata`.
 */

/** The commit metadata of fa enrich's commits, or of `fa offsets reset`'s: who and when. */
export const commitMetadata = (by: 'fa-enrich' | 'fa-offsets-reset', now = Date.now()): string => `${by} at=${now}`

/** The commit time (epoch ms) in fa's commit metadata (enrich's or send's); null in anyone else's. */
export function commitTimeOf(metadata: string | null): number | null {
  const at = metadata ? /(?:^| )at=(\d+)(?: |$)/.exec(metadata)?.[1] : undefined
  return at ? Number(at) : null
}
