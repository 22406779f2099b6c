import type {Payload, TopicRecord} from '../../src/lib/records/record.js'

let line = 0

/** A fixture-like record for core tests. */
export function rec(
  topic: string,
  key: string | null,
  value: Payload,
  headers: Record<string, string> = {},
): TopicRecord {
  return {
    topic,
    key,
    value,
    headers,
    timestamp: '2026-11-24T10:00:00.000Z',
    origin: {kind: 'fixture', file: 'test.jsonl', line: ++line},
  }
}

export const assignment = (orgId: string, csdrEmail: string, extra: Record<string, unknown> = {}) =>
  rec('data-csdr-assignment', orgId, {orgId, orgName: `Org ${orgId}`, csdrEmail, csdrName: 'Jane Doe', ...extra})

export const slackUser = (email: string, slackUserId: string) =>
  rec('data-slack-users', email, {email, slackUserId, displayName: slackUserId})

export const failure = (key: string | null, value: Record<string, unknown>) =>
  rec('data-notifications-pipeline', key, {
    eventId: `evt-${++line}`,
    orgId: key,
    connectorId: 'lcc-1',
    connectorName: 'orders-cdc',
    connectorType: 'PostgresCdcSource',
    oldStatus: 'Provisioning',
    newStatus: 'Failed',
    errorMessage: 'boom',
    occurredAt: '2026-11-24T10:00:00Z',
    ...value,
  })
