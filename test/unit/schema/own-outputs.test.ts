// fa's own outputs in a pinned registry format, against a local node:http registry: the shipped
// schema is registered when the subject has none, a refusal stops the run with the registry's
// message, and the records fa writes round-trip through the shipped Avro schemas.
import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {configSchema, type ConfigInput} from '../../../src/lib/config/schema.js'
import {codecFor} from '../../../src/lib/schema/codec.js'
import {ownOutputEncoder} from '../../../src/lib/schema/own-outputs.js'
import {sampleOf, shippedSchema} from '../../../src/lib/schema/own-schemas.js'
import {readSlackMessage} from '../../../src/lib/slack/record.js'
import {buildSlackMessage} from '../../../src/lib/slack/blocks.js'
import {md} from '../../../src/lib/slack/mrkdwn.js'

let server: http.Server
let url = ''
const registered: Array<{subject: string; body: {schema: string; schemaType?: string}}> = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let text = ''
    req.on('data', (d) => (text += d))
    req.on('end', () => {
      const reply = (status: number, body: object) =>
        res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(body))
      const subject = decodeURIComponent(/\/subjects\/([^/]+)\//.exec(req.url!)?.[1] ?? '')
      if (req.method === 'GET') return reply(404, {error_code: 40401, message: `Subject '${subject}' not found.`})
      if (subject.startsWith('refused')) {
        return reply(409, {error_code: 409, message: 'Schema being registered is incompatible with an earlier schema'})
      }
      registered.push({subject, body: JSON.parse(text)})
      return reply(200, {id: 40 + registered.length})
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise((resolve) => server.close(resolve)))

const config = (input: ConfigInput) => configSchema.parse({schemaRegistry: {url}, ...input})

describe("fa's own outputs in a registry format", () => {
  it('stay JSON unless pinned: no registry asked', async () => {
    const targets = [{role: 'slackMessages', topic: 'sm'}]
    expect(await ownOutputEncoder(config({formats: {slackMessages: 'auto'}}), targets, {})).toBeUndefined()
    expect(await ownOutputEncoder(config({formats: {notifications: 'avro'}}), targets, {})).toBeUndefined()
    expect(registered).toHaveLength(0)
  })

  it("register fa's schema under <topic>-value (and -key when pinned) when the subject has none", async () => {
    const encoder = await ownOutputEncoder(
      config({formats: {slackMessages: {value: 'avro', key: 'avro'}, slackResponses: 'json-schema'}}),
      [
        {role: 'slackMessages', topic: 'sm'},
        {role: 'slackResponses', topic: 'sr'},
      ],
      {},
    )
    expect(registered.map((r) => [r.subject, r.body.schemaType ?? 'AVRO'])).toEqual([
      ['sm-value', 'AVRO'],
      ['sm-key', 'AVRO'],
      ['sr-value', 'JSON'],
    ])
    const value = encoder!.value('sm', sampleOf('slackMessages', 'value') as Record<string, unknown>) as Buffer
    expect([...value.subarray(0, 5)]).toEqual([0, 0, 0, 0, 41])
    expect(encoder!.key('sm', 'a-1')).toBeInstanceOf(Buffer)
  })

  it("a registry that refuses fa's schema stops the run with its message", async () => {
    const pinned = config({formats: {slackMessages: 'avro'}})
    await expect(ownOutputEncoder(pinned, [{role: 'slackMessages', topic: 'refused-sm'}], {})).rejects.toThrow(
      "the Schema Registry refused fa's avro schema for refused-sm-value: " +
        'Schema being registered is incompatible with an earlier schema',
    )
    await expect(
      ownOutputEncoder(config({formats: {slackMessages: 'protobuf'}}), [{role: 'slackMessages', topic: 'p'}], {}),
    ).rejects.toThrow('Schema Registry has no subject p-value, and fa ships no protobuf schema for it')
    await expect(
      ownOutputEncoder(
        configSchema.parse({formats: {slackResponses: 'avro'}}),
        [{role: 'slackResponses', topic: 'x'}],
        {},
      ),
    ).rejects.toThrow('needs a Schema Registry')
  })

  it("refuses a registry format for fa's internal topics (state, checkpoints, dead letters)", () => {
    const parsed = configSchema.safeParse({formats: {deadLetters: 'avro', state: {key: 'json'}}})
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({
        path: ['formats', 'deadLetters'],
        message: expect.stringContaining("fa's own JSON topic"),
      }),
    ])
  })

  it('an alert fa builds round-trips through the shipped Avro schema; its null optional fields read as absent', async () => {
    const schema = shippedSchema('slackMessages', 'value', 'AVRO')!
    const codec = await codecFor({id: 1, ...schema})
    const message = buildSlackMessage('a-1', 'p', {
      recipient: 'U1',
      header: 'Head',
      text: md`${'Acme'} failed`,
      fields: [{label: 'Org', value: 'Acme'}],
      detail: {label: 'Error', value: 'boom'},
      context: ['small print'],
    })
    const decoded = codec.decode(codec.encode(message)) as Record<string, unknown>
    expect(decoded.revision).toBeNull()
    const record = {
      topic: 'sm',
      key: 'a-1',
      value: decoded as never,
      headers: {},
      origin: {kind: 'derived' as const},
      wire: {key: null, headers: {}, value: Buffer.alloc(0)},
    }
    const read = readSlackMessage(record)
    expect(read.checked).toEqual({ok: true, message})
    // The same nulls in a JSON record are the payload's own: invalid, as before.
    expect(readSlackMessage({...record, wire: undefined}).checked.ok).toBe(false)
  })
})
