import type {RegisteredSchema} from './registry.js'

/*
 * The schemas fa ships for the records it writes itself (slack-messages, slack-responses), used
 * when a topic's format is pinned and its subject has no schema yet. The Avro ones model exactly
 * what fa writes: the Block Kit blocks fa builds (header, section with text or fields, context)
 * and the response fields; optional fields are unions with null, which readers take as absent.
 */

const optional = (name: string, type: unknown) => ({name, type: ['null', type], default: null})

const textObject = {
  type: 'record',
  name: 'TextObject',
  fields: [{name: 'type', type: 'string'}, {name: 'text', type: 'string'}, optional('emoji', 'boolean')],
}

const slackMessageAvro = {
  type: 'record',
  name: 'SlackMessage',
  namespace: 'io.fa',
  doc: 'An alert fa enrich wrote for fa send: a chat.postMessage payload (Block Kit), revision > 0 for an update',
  fields: [
    {name: 'alertId', type: 'string'},
    {name: 'channel', type: 'string'},
    {name: 'text', type: 'string'},
    {
      name: 'blocks',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Block',
          fields: [
            {name: 'type', type: 'string'},
            optional('text', textObject),
            optional('fields', {type: 'array', items: 'TextObject'}),
            optional('elements', {type: 'array', items: 'TextObject'}),
          ],
        },
      },
    },
    {
      name: 'metadata',
      type: {
        type: 'record',
        name: 'Metadata',
        fields: [
          {name: 'event_type', type: 'string'},
          {name: 'event_payload', type: {type: 'map', values: 'string'}},
        ],
      },
    },
    optional('revision', 'int'),
  ],
}

const slackResponseAvro = {
  type: 'record',
  name: 'SlackResponse',
  namespace: 'io.fa',
  doc: "fa send's record of one delivery: posted (ok, channel, ts), failed (error) or expired",
  fields: [
    {name: 'alertId', type: 'string'},
    {name: 'ok', type: 'boolean'},
    {name: 'channel', type: 'string'},
    optional('ts', 'string'),
    optional('error', 'string'),
    {name: 'attempts', type: 'int'},
    optional('firstAttemptAt', 'string'),
    optional('deliveredAt', 'string'),
    optional('revision', 'int'),
    optional('expired', 'boolean'),
    optional('eventAt', 'string'),
  ],
}

const object = (required: string[]) => ({
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required,
})

/** The roles fa writes records of its own to. */
export type OwnRole = 'slackMessages' | 'slackResponses'
type ShippedType = Exclude<RegisteredSchema['type'], 'PROTOBUF'>

const values: Record<OwnRole, Record<ShippedType, object>> = {
  slackMessages: {AVRO: slackMessageAvro, JSON: object(['alertId', 'channel', 'text', 'blocks', 'metadata'])},
  slackResponses: {AVRO: slackResponseAvro, JSON: object(['alertId', 'ok', 'channel', 'attempts'])},
}

/** The schema fa registers for `role`'s values or keys (the alert id) when the subject has none; undefined for Protobuf. */
export function shippedSchema(
  role: OwnRole,
  part: 'key' | 'value',
  type: RegisteredSchema['type'],
): Omit<RegisteredSchema, 'id'> | undefined {
  if (part === 'key') return stringSchema(type)
  return type === 'PROTOBUF' ? undefined : {type, schema: JSON.stringify(values[role][type])}
}

/** A key fa writes (a string: an alert id, a producer's event key) as a schema of `type`; none for Protobuf. */
export function stringSchema(type: RegisteredSchema['type']): Omit<RegisteredSchema, 'id'> | undefined {
  if (type === 'PROTOBUF') return undefined
  return {type, schema: JSON.stringify(type === 'AVRO' ? 'string' : {type: 'string'})}
}

export function isOwnRole(role: string): role is OwnRole {
  return role === 'slackMessages' || role === 'slackResponses'
}

const text = (type: string, value: string) => ({type, text: value})
const samples: Record<OwnRole, object> = {
  slackMessages: {
    alertId: 'a',
    channel: 'C0',
    text: 't',
    blocks: [
      {type: 'header', text: {...text('plain_text', 'h'), emoji: true}},
      {type: 'section', text: text('mrkdwn', 's')},
      {type: 'section', fields: [text('mrkdwn', 'f')]},
      {type: 'context', elements: [text('mrkdwn', 'c')]},
    ],
    metadata: {event_type: 'fa_alert', event_payload: {alert_id: 'a', pipeline: 'p'}},
    revision: 2,
  },
  slackResponses: {
    alertId: 'a',
    ok: true,
    channel: 'D0',
    ts: '1.2',
    error: null,
    attempts: 1,
    firstAttemptAt: '2026-01-01T00:00:00.000Z',
    deliveredAt: '2026-01-01T00:00:00.000Z',
    revision: 2,
  },
}

/** A record of every shape fa writes to `role`: a registered schema must be able to carry it. */
export function sampleOf(role: OwnRole, part: 'key' | 'value'): unknown {
  return part === 'key' ? 'a@2' : samples[role]
}
