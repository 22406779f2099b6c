// bench:kafka's Avro mix: the typical mix's tables and events, written in the Schema Registry
// wire format (Avro, schemas registered under TopicNameStrategy subjects) as connectors and Java
// producers write them. Encoded with avsc directly; optional fields are unions with null.
import avro from 'avsc'

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
