import {GroupRun} from '../kafka/group-run.js'
import type {Intake} from './intake.js'
import type {RunCommitter, SendContext} from './roles.js'

/** How send consumes slack-messages: enrich's consume loop, its batches and joins handed to intake and committer. */
export function sendGroupRun(context: SendContext, committer: RunCommitter, intake: () => Intake): GroupRun {
  const {group, log, metrics} = context
  const topic = context.topics.messages
  return new GroupRun({
    kafka: context.kafka,
    admin: context.admin,
    config: context.config,
    group,
    // A dry run reads as the pair's throwaway group.
    consumerGroupId: committer.groupId,
    topics: [topic],
    tuning: context.tuning,
    follow: context.follow,
    signal: context.signal,
    log,
    // Partitions another member of the group finished count as done too (not a throwaway group's).
    pollCommitted: committer.groupId === group,
    autoCommit: false,
    onCrash: 'fail',
    disconnectTimeoutMs: 5_000,
    eachBatch: (payload) => intake().batch(payload),
    onJoin: (payload, c) => {
      const assigned = new Set(payload.memberAssignment[topic] ?? [])
      log.info('joined the group', {group, partitions: [...assigned].join(',') || '(none)'})
      metrics.ready('consumer', true)
      intake().assigned(assigned)
      // Commits go through the group's member (its only consumer: a crash ends the run).
      committer.attach(c)
      committer
        .startOffsets(assigned)
        .then((offsets) => {
          for (const {partition, offset} of offsets) c.seek({topic, partition, offset: String(offset)})
        })
        .catch((error) => log.warn('cannot read the group offsets', {error}))
    },
    onConsumerFailed: () => metrics.ready('consumer', false),
    onEmptyBatch: (b) => intake().markers(b.topic, b.partition, b.firstOffset, b.lastOffset),
  })
}
