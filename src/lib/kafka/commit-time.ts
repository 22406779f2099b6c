import type {EachBatchPayload} from 'kafkajs'

import type {Logger} from '../output/log.js'

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

/**
 * At-least-once: commits a partition's next offset with the commit time, once its batch's outputs
 * are acknowledged. kafkajs' auto-commit after the batch then finds the offset committed; should
 * this commit fail (a rebalance), the auto-commit still tries it, without the time, as before.
 */
export async function commitWithTime(
  payload: Pick<EachBatchPayload, 'commitOffsetsIfNecessary'>,
  {topic, partition, offset}: {topic: string; partition: number; offset: string},
  log: Logger,
): Promise<void> {
  const partitions = [{partition, offset, metadata: commitMetadata('fa-enrich')}]
  await payload.commitOffsetsIfNecessary({topics: [{topic, partitions}]}).catch((error: unknown) => {
    log.debug('offset commit with its time failed; the auto-commit follows', {topic, partition, error})
  })
}
