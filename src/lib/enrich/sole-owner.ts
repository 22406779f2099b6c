import type {Admin} from 'kafkajs'

import {DrainTracker} from '../kafka/drain.js'
import type {Logger} from '../output/log.js'
import type {AlertType} from '../pipeline/stream.js'
import type {RepartitionPlan} from './repartition.js'
import type {RecordRouter} from './router.js'

/**
 * Decides at each join which stateful alert types this member runs where their records are read.
 * A member assigned every partition of an alert type's source and of its repartition topic, with
 * nothing left unprocessed in the latter, is the one every key of it would be handed to: the trip
 * through the repartition topic would come back to this member, in the order read. It runs them
 * on its state at once instead, saving the second trip through Kafka. Another member joining makes
 * a new generation, and this member hands the records on again from its first batch.
 */
export class SoleOwner {
  private deciding: Promise<void> = Promise.resolve()
  /** Counts joins: a decision for an earlier one is dropped. */
  private generation = 0

  constructor(
    private readonly o: {admin: Admin; group: string; plan: RepartitionPlan; router: RecordRouter; log: Logger},
  ) {}

  /** A join: until decided, every stateful record is handed on (what any member may do). */
  joined(assignment: Record<string, number[]>): void {
    this.o.router.runHere(new Set())
    const generation = ++this.generation
    this.deciding = this.decide(assignment, generation).catch((error: unknown) =>
      this.o.log.debug('cannot tell whether this member owns every partition; handing records on', {error}),
    )
  }

  /** Resolves once the current generation is decided (before its first batch). */
  ready(): Promise<void> {
    return this.deciding
  }

  private async decide(assignment: Record<string, number[]>, generation: number): Promise<void> {
    const {admin, group, plan, router, log} = this.o
    const names = [...new Set(plan.topics.flatMap((t) => [t.topic, t.source]))]
    const counts = new Map<string, number>()
    for (const t of (await admin.fetchTopicMetadata({topics: names})).topics) counts.set(t.name, t.partitions.length)
    const owns = (topic: string) => new Set(assignment[topic] ?? []).size === counts.get(topic)
    const owned = plan.topics.filter((t) => owns(t.topic) && owns(t.source))
    if (owned.length === 0) return
    // Records handed on before (by an earlier generation) come first: those topics keep the trip.
    const {targets} = await DrainTracker.fetch(
      admin,
      group,
      owned.map((t) => t.topic),
    )
    const behind = new Set(targets.filter((t) => t.target > t.from).map((t) => t.topic))
    const here = new Set<AlertType>(owned.filter((t) => !behind.has(t.topic)).map((t) => plan.alertFor(t.topic)!))
    if (generation !== this.generation) return
    router.runHere(here)
    if (here.size > 0)
      log.info(
        'this member owns every partition: stateful records run where they are read, not through the repartition topic',
        {
          alertTypes: [...here].map((a) => a.name),
        },
      )
  }
}
