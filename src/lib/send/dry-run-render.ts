import type {ChalkInstance} from 'chalk'

import {renderAlert, renderDeadLetter} from '../output/human.js'
import {describeOrigin} from '../records/record.js'
import {isResolution} from '../slack/record.js'
import type {DryRunItem} from './dry-run.js'

/* What `fa send --dry-run` prints for each message: for people, or as JSON Lines (--json). */

/** For people: the alert or update as it would be posted, or why it would not be. */
export function renderDryRun(item: DryRunItem, c: ChalkInstance): string {
  switch (item.action) {
    case 'post':
      return renderAlert(
        {
          kind: 'alert',
          pipeline: item.pipeline,
          alertId: item.alertId,
          output: {...item.source, value: {...item.message}},
        },
        c,
      )
    case 'update':
      return renderAlert(
        {
          kind: 'update',
          pipeline: item.pipeline,
          alertId: item.alertId,
          revision: item.message.revision ?? 0,
          resolved: isResolution(item.source),
          output: {...item.source, value: {...item.message}},
        },
        c,
      )
    case 'skip':
      return (
        `${c.dim('↷')} ${c.bold(item.pipeline)} → ${c.cyan(item.channel)}  ` +
        `${c.dim(item.alertId)}  ${c.dim('skipped: already delivered')}\n\n`
      )
    case 'expire':
      return `${c.dim('⌛')} ${c.bold(item.pipeline)} → ${c.cyan(item.channel)}  ${c.dim(item.alertId)}  ${c.yellow(`expired: event at ${item.eventAt}, older than the maximum alert age`)}\n\n`
    case 'dead-letter':
      return renderDeadLetter(
        {kind: 'dead-letter', pipeline: item.pipeline, reason: item.reason, output: item.source},
        item.source,
        c,
      )
  }
}

/** One JSON Lines object: the action, the alert and the record it was read from. */
export function dryRunJson(item: DryRunItem): Record<string, unknown> {
  const source = describeOrigin(item.source)
  switch (item.action) {
    case 'post':
    case 'update': {
      const {channel, text, blocks, metadata, revision} = item.message
      return {
        action: item.action,
        ...(revision ? {revision} : {}),
        alertId: item.alertId,
        pipeline: item.pipeline,
        channel,
        source,
        message: {channel, text, blocks, metadata},
      }
    }
    case 'skip':
      return {action: 'skip', alertId: item.alertId, pipeline: item.pipeline, channel: item.channel, source}
    case 'expire':
      return {
        action: 'expire',
        alertId: item.alertId,
        pipeline: item.pipeline,
        channel: item.channel,
        eventAt: item.eventAt,
        source,
      }
    case 'dead-letter':
      return {action: 'dead-letter', alertId: item.alertId, pipeline: item.pipeline, reason: item.reason, source}
  }
}
