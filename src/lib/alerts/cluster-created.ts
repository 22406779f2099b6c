import {z} from 'zod'

import {stream} from '../pipeline/stream.js'
import {md} from '../slack/mrkdwn.js'
import {assigneeContext, assignments} from '../tables/assignments.js'
import {slackUsers} from '../tables/slack-users.js'

const text = z.string().optional()

const ordinal = (n: number) => {
  const tens = n % 100
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')
  return `${n}${suffix}`
}

/**
 * A customer created a cluster: tell the org's account team member, saying whether it is the
 * org's first cluster ever or its Nth (and since when), from a history kept per org over this
 * stream. The history counts the org's distinct clusters of every valid cluster event, whether
 * or not it is DM'd: an event delivered twice is not a second cluster.
 */
export default stream(
  'cluster-created',
  'clusters',
  'a customer created a cluster; DM the account team member of its org',
)
  .selectKey(({record, event}) => record.key || event.orgId, 'org id (record key or value.orgId)')
  .validate(
    z.looseObject({
      eventId: text,
      clusterId: z.string({error: 'must be a non-empty string'}).min(1, 'must be a non-empty string'),
      clusterName: text,
      cloud: text,
      region: text,
      createdAt: text,
    }),
  )
  .history({key: ({key}) => key, as: 'clusters', what: 'org id', distinct: ({event}) => event.clusterId})
  .join(assignments, {key: ({key}) => key, as: 'assignment', missing: 'unassigned'})
  .join(slackUsers, {key: ({assignment}) => assignment.csdrEmail, as: 'slackUser', missing: 'no-slack-user'})
  .message(({event, key, assignment, slackUser, clusters}) => {
    const cluster = event.clusterName || event.clusterId
    const org = assignment.orgName || key
    const first = clusters.count === 1
    const since = clusters.firstSeen.slice(0, 10)
    return {
      recipient: slackUser.slackUserId,
      header: `New cluster: ${cluster}`,
      text: first
        ? md`*${org}* (${key}) created its *first cluster ever*: *${cluster}* (${event.clusterId}). A good moment to help them get going.`
        : md`*${org}* (${key}) created its ${ordinal(clusters.count)} cluster, *${cluster}* (${event.clusterId}); its first was on ${since}.`,
      fields: [
        {label: 'Organization', value: `${org} (${key})`},
        {label: 'Cluster', value: `${cluster} (${event.clusterId})`},
        {label: 'Cloud', value: [event.cloud, event.region].filter(Boolean).join(' ') || undefined},
        {label: 'Clusters so far', value: first ? '1 (first ever)' : `${clusters.count}, the first on ${since}`},
        {label: 'Created at', value: event.createdAt},
      ],
      context: [assigneeContext(assignment, org, event.eventId)],
    }
  })
  .to('slackMessages')
