/** The API for writing alert types and producers outside this repository. */
export {stream, type AlertType, type BaseContext} from './lib/pipeline/stream.js'
export {defineTable, type TableSpec} from './lib/pipeline/table.js'
export {md, escapeMrkdwn} from './lib/slack/mrkdwn.js'
export {Mrkdwn, type AlertContent} from './lib/pipeline/content.js'
export {assigneeContext, assignments} from './lib/tables/assignments.js'
export {slackUsers, normalizeEmail} from './lib/tables/slack-users.js'
