// The Kafka benches' Avro mixes: the bench's tables and event mixes, written in the Schema Registry
// wire format (Avro, schemas registered under TopicNameStrategy subjects) as connectors and Java
// producers write them. Encoded with avsc directly; optional fields are unions with null.
import {appendFileSync} from 'node:fs'
import path from 'node:path'

import avro from 'avsc'

import {startRegistry} from '../scripts/registry.mjs'
import {assignmentRow, eventMessage, slackUserRow} from './support/kafka-data.mjs'

const optional = (name) => ({name, type: ['null', 'string'], default: null})
const required = (name) => ({name, type: 'string'})

const schemas = {
  slackUsers: {
    type: 'record',
    name: 'SlackUser',
    namespace: 'bench',
    fields: [required('email'), required('slackUserId'), optional('displayName')],
  },
  assignments: {
    type: 'record',
    name: 'CsdrAssignment',
    namespace: 'bench',
    fields: [required('orgId'), optional('orgName'), required('csdrEmail'), optional('csdrName')],
  },
  notifications: {
    type: 'record',
    name: 'ConnectorStatusChanged',
    namespace: 'bench',
    fields: [
      required('eventId'),
      required('orgId'),
      required('connectorId'),
      optional('connectorName'),
      optional('connectorType'),
      optional('clusterId'),
      optional('environmentId'),
      required('oldStatus'),
      optional('newStatus'),
      optional('errorMessage'),
      optional('occurredAt'),
    ],
  },
}

async function register(url, subject, schema) {
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: {'content-type': 'application/vnd.schemaregistry.v1+json'},
    body: JSON.stringify({schema: JSON.stringify(schema)}),
  })
  const body = await res.json()
  if (!res.ok) throw new Error(`registering ${subject}: ${res.status} ${body.message}`)
  return body.id
}

/** An encoder of plain objects (null for absent optional fields) into framed Avro of `role`'s schema, registered for `topic`. */
export async function avroEncoder(url, role, topic) {
  const schema = schemas[role]
  const id = await register(url, `${topic}-value`, schema)
  const type = avro.Type.forSchema(schema, {wrapUnions: true})
  const unions = schema.fields.filter((f) => Array.isArray(f.type)).map((f) => f.name)
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  return (value) => {
    const wrapped = {...value}
    for (const name of unions) wrapped[name] = value[name] == null ? null : {string: value[name]}
    return Buffer.concat([header, type.toBuffer(wrapped)])
  }
}

/** SCHEMA_REGISTRY_URL, else a throwaway registry in `work` (scripts/registry.mjs); `stop` stops only that one. */
export async function openRegistry(work) {
  if (process.env.SCHEMA_REGISTRY_URL) return {url: process.env.SCHEMA_REGISTRY_URL, stop: async () => {}}
  const registry = await startRegistry({dir: path.join(work, 'registry')})
  return {url: registry.url, stop: () => registry.stop()}
}

/** The Avro copies of the tables and of the two event mixes, under `prefix`. */
export const avroTopics = (prefix) => ({
  tables: {assignments: `${prefix}avro-csdr-assignment`, slackUsers: `${prefix}avro-slack-users`},
  typical: `${prefix}avro-notifications-typical`,
  alertHeavy: `${prefix}avro-notifications`,
})

/** Points an fa config at the registry (its Avro topics are read in the wire format). */
export function withRegistry(file, url) {
  appendFileSync(file, `schemaRegistry:\n  url: ${url}\n`)
  return file
}

/**
 * loadData's `more`: the tables and, for each [topic, provisioning failures in 10] of `mixes`,
 * the events of that mix, in Avro.
 */
export const loadAvro = (url, {tables}, {events, rows, mixes}) =>
  async function (produce) {
    const users = await avroEncoder(url, 'slackUsers', tables.slackUsers)
    const assignments = await avroEncoder(url, 'assignments', tables.assignments)
    await produce(tables.slackUsers, rows, (i) => ({key: `user${i}@example.com`, value: users(slackUserRow(i))}))
    await produce(tables.assignments, rows, (i) => ({key: `org-${i}`, value: assignments(assignmentRow(i, rows))}))
    for (const [topic, per10] of mixes) {
      const encode = await avroEncoder(url, 'notifications', topic)
      await produce(topic, events, (i) => eventMessage(i, rows, per10, encode))
    }
  }
