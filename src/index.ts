/**
 * The API for writing alert types and producers outside this repository: every name README.md
 * tells users to import (test/cli/public-api.test.ts checks them in the built package).
 */
export {stream, type AlertType, type BaseContext, type JoinOptions} from './lib/pipeline/stream.js'
export {defineTable, type TableSpec} from './lib/pipeline/table.js'
export {Mrkdwn, type AlertContent} from './lib/pipeline/content.js'
export {md, escapeMrkdwn} from './lib/slack/mrkdwn.js'
export {assigneeContext, assignments} from './lib/tables/assignments.js'
export {slackUsers, normalizeEmail} from './lib/tables/slack-users.js'
export {defineProducer, type Producer, type ProducerSpec} from './lib/produce/producer.js'
export {builtInAlerts} from './lib/alerts/registry.js'
export type {IncidentOptions, EventContext} from './lib/pipeline/incidents.js'
export type {HistoryCounts, HistoryOptions} from './lib/pipeline/history.js'
