import {z} from 'zod'

import {stream} from '../pipeline/stream.js'
import {optionalText} from '../pipeline/table.js'
import {md} from '../slack/mrkdwn.js'
import {assigneeContext, assignments} from '../tables/assignments.js'
import {slackUsers} from '../tables/slack-users.js'

const text = optionalText

const running = (status: unknown) => typeof status === 'string' && status.toLowerCase() === 'running'

/**
 * A connector failed while provisioning: tell the org's account team member in a DM. Repeats for
 * the same connector within 24 hours update that DM; the connector reaching Running resolves it.
 */
export default stream(
  'connector-provisioning-failed',
  'notifications',
  'a connector failed during provisioning; DM the account team member of its org',
)
  .incidents({
    key: ({event}) => event.connectorId,
    window: '24h',
    resolve: {when: ({event}) => running(event.newStatus), status: ({event}) => event.newStatus},
  })
  .filter(({event}) => typeof event.oldStatus === 'string' && event.oldStatus.toLowerCase() === 'provisioning')
  .selectKey(({record, event}) => record.key || event.orgId, 'org id (record key or value.orgId)')
  .validate(
    z.looseObject({
      eventId: text,
      connectorId: z.string({error: 'must be a non-empty string'}).min(1, 'must be a non-empty string'),
      connectorName: text,
      connectorType: text,
      clusterId: text,
      environmentId: text,
      oldStatus: text,
      newStatus: text,
      errorMessage: text,
      occurredAt: text,
    }),
  )
  .join(assignments, {key: ({key}) => key, as: 'assignment', missing: 'unassigned'})
  .join(slackUsers, {key: ({assignment}) => assignment.csdrEmail, as: 'slackUser', missing: 'no-slack-user'})
  .message(({event, key, assignment, slackUser}) => {
    const connector = event.connectorName || event.connectorId
    const org = assignment.orgName || key
    return {
      recipient: slackUser.slackUserId,
      header: `Connector failed to provision: ${connector}`,
      text: md`Connector *${connector}* (${event.connectorId}) of *${org}* (${key}) failed while provisioning${event.newStatus ? md` and is now ${event.newStatus}` : md``}. Reaching out now may save the customer some frustration.`,
      fields: [
        {label: 'Organization', value: `${org} (${key})`},
        {label: 'Connector', value: `${connector} (${event.connectorId})`},
        {label: 'Type', value: event.connectorType},
        {label: 'Status', value: `${event.newStatus ?? 'unknown'} (was ${event.oldStatus})`},
        {label: 'Cluster', value: event.clusterId},
        {label: 'Environment', value: event.environmentId},
        {label: 'Occurred at', value: event.occurredAt},
      ],
      detail: event.errorMessage ? {label: 'Error', value: event.errorMessage} : undefined,
      context: [assigneeContext(assignment, org, event.eventId)],
    }
  })
  .to('slackMessages')
