// The registry client against a local node:http server: basic auth (from the environment or the
// URL, never shown), and failures sorted into transient and refused.
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {configSchema} from '../../../src/lib/config/schema.js'
import {FaError} from '../../../src/lib/errors.js'
import {
  registryFromConfig,
  RegistryClient,
  RegistryRefused,
  RegistryUnavailable,
} from '../../../src/lib/schema/registry.js'

let server: http.Server
let base = ''
const seen: Array<{url: string; authorization?: string}> = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({url: req.url!, authorization: req.headers.authorization})
    const reply = (status: number, body: object) =>
      res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
    if (req.url === '/api/schemas/ids/1') return reply(200, {schema: '"string"'})
    if (req.url === '/api/schemas/ids/2') return reply(200, {schema: 'syntax = "proto3";', schemaType: 'PROTOBUF'})
    if (req.url === '/api/schemas/ids/500') return reply(503, {message: 'busy'})
    if (req.url === '/api/schemas/ids/401') return reply(401, {message: 'Unauthorized'})
    if (req.url === '/api/schemas/ids/slow') return void setTimeout(() => reply(200, {}), 500)
    return reply(404, {message: 'Schema not found', error_code: 40403})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

describe('RegistryClient', () => {
  it('reads schemas by id (AVRO when schemaType is absent), with basic auth from the environment', async () => {
    const config = configSchema.parse({schemaRegistry: {url: `${base}/`}})
    const client = registryFromConfig(config, {SCHEMA_REGISTRY_API_KEY: 'key', SCHEMA_REGISTRY_API_SECRET: 's3cret'})!
    expect(await client.schemaById(1)).toEqual({id: 1, type: 'AVRO', schema: '"string"'})
    expect(await client.schemaById(2)).toMatchObject({type: 'PROTOBUF'})
    expect(seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from('key:s3cret').toString('base64')}`)
    expect(registryFromConfig(configSchema.parse({}), {})).toBeUndefined()
  })

  it('takes credentials in the URL as basic auth and never shows them', async () => {
    const withUser = base.replace('http://', 'http://u%40x:p%3Aw@')
    const client = new RegistryClient(withUser, {timeoutMs: 1000})
    expect(client.url).toBe(base)
    await client.schemaById(1)
    expect(seen.at(-1)!.authorization).toBe(`Basic ${Buffer.from('u@x:p:w').toString('base64')}`)
    const error = (await client.schemaById(500).catch((e: unknown) => e)) as Error
    expect(error.message).not.toContain('p%3Aw')
  })

  it('5xx, timeouts and a closed port are transient; 404 is an answer; 401 stops the run', async () => {
    const client = new RegistryClient(base, {timeoutMs: 200})
    await expect(client.schemaById(500)).rejects.toThrow(RegistryUnavailable)
    await expect(client.schemaById(Number.NaN)).rejects.toThrow(RegistryRefused)
    await expect(client.request('GET', '/schemas/ids/slow')).rejects.toThrow(/timed out after 200 ms/)
    await expect(client.schemaById(401)).rejects.toThrow(FaError)
    const refused = (await client.schemaById(7).catch((e: unknown) => e)) as RegistryRefused
    expect(refused).toMatchObject({status: 404, code: 40403, message: 'Schema not found'})
    const spare = http.createServer()
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve))
    const port = (spare.address() as AddressInfo).port
    await new Promise((resolve) => spare.close(resolve))
    const closed = new RegistryClient(`http://127.0.0.1:${port}/api`, {timeoutMs: 1000})
    await expect(closed.schemaById(1)).rejects.toThrow(/unreachable \(ECONNREFUSED\)/)
  })
})
