// Helpers for tests against the real Schema Registry (test/global-setup.ts): register schemas
// through its REST API, frame payloads, and the seed chain's schemas in Avro and Protobuf.
import net from 'node:net'

import {codecFor, frame} from '../../src/lib/schema/codec.js'
import type {RegisteredSchema} from '../../src/lib/schema/registry.js'

/** Registers `schema` under `subject` with a plain POST (as any other client would); returns its id. */
export async function register(
  url: string,
  subject: string,
  type: RegisteredSchema['type'],
  schema: string | object,
): Promise<number> {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema)
  const res = await fetch(`${url}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: {'content-type': 'application/vnd.schemaregistry.v1+json'},
    body: JSON.stringify({schema: text, ...(type === 'AVRO' ? {} : {schemaType: type})}),
  })
  const body = (await res.json()) as {id?: number; message?: string}
  if (!res.ok || body.id === undefined) throw new Error(`registering ${subject}: ${res.status} ${body.message}`)
  return body.id
}

/** An encoder of plain JSON values in the wire format of one registered schema. */
export async function encoderFor(
  url: string,
  subject: string,
  type: RegisteredSchema['type'],
  schema: string | object,
): Promise<{id: number; encode: (value: unknown) => Buffer}> {
  const text = typeof schema === 'string' ? schema : JSON.stringify(schema)
  const id = await register(url, subject, type, text)
  const codec = await codecFor({id, type, schema: text})
  return {id, encode: (value) => frame(id, codec.encode(value))}
}

const optional = (name: string) => ({name, type: ['null', 'string'], default: null})

/** The seed chain's topics in Avro: every field an optional string, as connectors write them. */
export const avroSchemas = {
  notifications: {
    type: 'record',
    name: 'ConnectorStatusChanged',
    namespace: 'io.fa.test',
    fields: [
      'eventId',
      'orgId',
      'connectorId',
      'connectorName',
      'connectorType',
      'clusterId',
      'environmentId',
      'oldStatus',
      'newStatus',
      'errorMessage',
      'occurredAt',
    ].map(optional),
  },
  assignments: {
    type: 'record',
    name: 'CsdrAssignment',
    namespace: 'io.fa.test',
    fields: ['orgId', 'orgName', 'csdrEmail', 'csdrName', 'segment'].map(optional),
  },
  slackUsers: {
    type: 'record',
    name: 'SlackUser',
    namespace: 'io.fa.test',
    fields: ['email', 'slackUserId', 'displayName'].map(optional),
  },
  key: {type: 'string'},
}

/** The notifications topic in Protobuf: snake_case fields (camelCase JSON names), a Timestamp. */
export const notificationsProto = `syntax = "proto3";
package io.fa.test;

import "google/protobuf/timestamp.proto";

message ConnectorStatusChanged {
  string event_id = 1;
  string org_id = 2;
  string connector_id = 3;
  string connector_name = 4;
  string connector_type = 5;
  string cluster_id = 6;
  string environment_id = 7;
  string old_status = 8;
  string new_status = 9;
  string error_message = 10;
  google.protobuf.Timestamp occurred_at = 11;
}
`

/**
 * A TCP proxy in front of the registry that a test can cut (`down()`: connections refused by
 * closing them at once) and restore (`up()`), to play a registry outage without a restart.
 */
export async function registryProxy(
  target: string,
): Promise<{url: string; down(): void; up(): void; close(): Promise<void>}> {
  const {hostname, port, pathname} = new URL(target)
  let cut = false
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (cut) return void client.destroy()
    const upstream = net.connect(Number(port), hostname)
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}${pathname}`,
    down() {
      cut = true
      for (const socket of sockets) socket.destroy()
    },
    up() {
      cut = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
