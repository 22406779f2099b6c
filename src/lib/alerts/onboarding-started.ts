import {z} from 'zod'

import {stream} from '../pipeline/stream.js'
import {optionalText} from '../pipeline/table.js'
import {md} from '../slack/mrkdwn.js'
import {assigneeContext, assignments} from '../tables/assignments.js'
import {slackUsers} from '../tables/slack-users.js'

const text = optionalText

/** A new customer started onboarding (produced by `fa produce onboarding`): welcome them. */
export default stream(
  'onboarding-started',
  'onboarding',
  'a new customer started onboarding; DM the account team member of its org',
)
  .filter(({event}) => event.eventType === 'onboarding_started')
  .selectKey(({record, event}) => record.key || event.orgId, 'org id (record key or value.orgId)')
  .validate(z.looseObject({eventId: text, orgName: text, plan: text, startedAt: text}))
  .join(assignments, {key: ({key}) => key, as: 'assignment', missing: 'unassigned'})
  .join(slackUsers, {key: ({assignment}) => assignment.csdrEmail, as: 'slackUser', missing: 'no-slack-user'})
  .message(({event, key, assignment, slackUser}) => {
    const org = event.orgName || assignment.orgName || key
    return {
      recipient: slackUser.slackUserId,
      header: `New customer started onboarding: ${org}`,
      text: md`*${org}* (${key}) just started onboarding${event.plan ? md` on the *${event.plan}* plan` : md``}. A welcome note from their account team now sets the tone.`,
      fields: [
        {label: 'Organization', value: `${org} (${key})`},
        {label: 'Plan', value: event.plan},
        {label: 'Started at', value: event.startedAt},
      ],
      context: [assigneeContext(assignment, org, event.eventId)],
    }
  })
  .to('slackMessages')
