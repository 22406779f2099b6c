import type {Admin} from 'kafkajs'

import {DrainTracker} from '../kafka/drain.js'
import type {Logger} from '../output/log.js'
import type {AlertType} from '../pipeline/stream.js'
import type {RepartitionPlan} from './repartition.js'
import type {RecordRouter} from './router.js'

/**
 * Decides at each join which keys of its stateful alert types this member applies where it reads
 * their records: those of the repartition partitions assigned to it that hold nothing the group
 * has not processed. A record handed on to such a partition would come back to this member, and
 * the records of one source partition reach it in their order either way (it reads that source
 * partition itself, or its owner hands them on in order); so it runs them on its state at once
 * and saves their second trip through Kafka. Records waiting in a partition (handed on by an
 * earlier generation) must be applied first: that partition keeps the trip until the next join.
 * Every join is decided again, after every member has committed its batches (eager rebalancing).
 */
export class LocalPartitions {
  private deciding: Promise<void> = Promise.resolve()
  /** Counts joins: a decision for an earlier one is dropped. */
  private generation = 0

  constructor(
    private readonly o: {admin: Admin; group: string; plan: RepartitionPlan; router: RecordRouter; log: Logger},
  ) {}

  /** A join: until decided, every stateful record is handed on (what any member may do). */
  joined(assignment: Record<string, number[]>): void {
    this.o.router.runHere(new Map())
    const generation = ++this.generation
    this.deciding = this.decide(assignment, generation).catch((error: unknown) =>
      this.o.log.debug('cannot tell which repartition partitions are caught up; handing records on', {error}),
    )
  }

  /** Resolves once the current generation is decided (before its first batch). */
  ready(): Promise<void> {
    return this.deciding
  }

  private async decide(assignment: Record<string, number[]>, generation: number): Promise<void> {
    const {admin, group, plan, router, log} = this.o
    const owned = plan.topics.filter((t) => (assignment[t.topic]?.length ?? 0) > 0)
    if (owned.length === 0) return
    const {targets} = await DrainTracker.fetch(
      admin,
      group,
      owned.map((t) => t.topic),
    )
    const here = new Map<AlertType, {partitions: Set<number>; count: number}>()
    for (const {topic} of owned) {
      const mine = new Set(assignment[topic])
      const partitions = targets.filter((t) => t.topic === topic)
      const caughtUp = partitions.filter((t) => mine.has(t.partition) && t.target <= t.from).map((t) => t.partition)
      if (caughtUp.length > 0)
        here.set(plan.alertFor(topic)!, {partitions: new Set(caughtUp), count: partitions.length})
    }
    if (generation !== this.generation) return
    router.runHere(here)
    if (here.size > 0)
      log.info('keys of the repartition partitions this member owns run where their records are read', {
        alertTypes: Object.fromEntries(
          [...here].map(([alert, {partitions, count}]) => [alert.name, `${partitions.size} of ${count} partitions`]),
        ),
      })
  }
}
