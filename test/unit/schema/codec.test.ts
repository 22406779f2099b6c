// The documented mapping of Avro, Protobuf and JSON Schema values to plain JSON, both ways,
// and the wire framing.
import avro from 'avsc'
import protobuf from 'protobufjs'
import {describe, expect, it} from 'vitest'

import {codecFor, frame, framedId} from '../../../src/lib/schema/codec.js'

const avroCodec = (schema: object) => codecFor({id: 1, type: 'AVRO', schema: JSON.stringify(schema)})

const everything = {
  type: 'record',
  name: 'Everything',
  namespace: 'io.fa.test',
  fields: [
    {name: 'name', type: 'string'},
    {name: 'optional', type: ['null', 'string'], default: null},
    {name: 'either', type: ['null', 'long', 'string']},
    {name: 'status', type: {type: 'enum', name: 'Status', symbols: ['OK', 'FAILED']}},
    {name: 'raw', type: 'bytes'},
    {name: 'hash', type: {type: 'fixed', name: 'Hash', size: 2}},
    {name: 'amount', type: {type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2}},
    {name: 'negative', type: {type: 'bytes', logicalType: 'decimal', precision: 9, scale: 2}},
    {name: 'at', type: {type: 'long', logicalType: 'timestamp-millis'}},
    {name: 'atMicros', type: {type: 'long', logicalType: 'timestamp-micros'}},
    {name: 'day', type: {type: 'int', logicalType: 'date'}},
    {
      name: 'nested',
      type: ['null', {type: 'record', name: 'Inner', fields: [{name: 'n', type: 'int'}]}],
      default: null,
    },
    {name: 'tags', type: {type: 'array', items: 'string'}},
    {name: 'attrs', type: {type: 'map', values: ['null', 'int']}},
  ],
}

describe('Avro to plain JSON', () => {
  // Written by avsc's own plain types (no logical types, unions wrapped by hand): what a Java producer would write.
  const writer = avro.Type.forSchema(JSON.parse(JSON.stringify(everything)), {wrapUnions: true})
  const bytes = writer.toBuffer({
    name: 'n',
    optional: null,
    either: {long: 42},
    status: 'FAILED',
    raw: Buffer.from('hi'),
    hash: Buffer.from([0xab, 0xcd]),
    amount: Buffer.from([0x30, 0x39]), // 12345 unscaled
    negative: Buffer.from([0x85]), // -123 unscaled (minimal two's complement)
    at: Date.UTC(2026, 10, 24, 10, 0, 0, 123),
    atMicros: Date.UTC(2026, 10, 24, 10, 0, 0, 123) * 1000 + 456,
    day: 20_781,
    nested: {'io.fa.test.Inner': {n: 7}},
    tags: ['a', 'b'],
    attrs: {x: {int: 1}, y: null},
  })

  it('unwraps unions, keeps enums as strings, bytes/fixed as base64, decimals as digits, times as ISO', async () => {
    expect((await avroCodec(everything)).decode(bytes)).toEqual({
      name: 'n',
      optional: null,
      either: 42,
      status: 'FAILED',
      raw: 'aGk=',
      hash: 'q80=',
      amount: '123.45',
      negative: '-1.23',
      at: '2026-11-24T10:00:00.123Z',
      atMicros: '2026-11-24T10:00:00.123456Z',
      day: '2026-11-24',
      nested: {n: 7},
      tags: ['a', 'b'],
      attrs: {x: 1, y: null},
    })
  })

  it('encodes the same plain JSON back to the same bytes', async () => {
    const codec = await avroCodec(everything)
    expect(codec.encode(codec.decode(bytes))).toEqual(bytes)
  })

  it('longs are numbers while exact, else strings of their digits; both ways', async () => {
    const codec = await avroCodec({type: 'record', name: 'L', fields: [{name: 'n', type: 'long'}]})
    // An Avro long is a zigzag varint: written by hand here, not by avsc.
    const varint = (n: bigint) => {
      let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n))
      const bytes: number[] = []
      do {
        bytes.push(Number(z & 0x7fn) | (z > 0x7fn ? 0x80 : 0))
        z >>= 7n
      } while (z > 0n)
      return Buffer.from(bytes)
    }
    expect(codec.decode(varint(42n))).toEqual({n: 42})
    expect(codec.decode(varint(2n ** 53n + 1n))).toEqual({n: '9007199254740993'})
    expect(codec.decode(varint(-(2n ** 63n)))).toEqual({n: '-9223372036854775808'})
    expect(codec.encode({n: '9007199254740993'})).toEqual(varint(2n ** 53n + 1n))
    expect(codec.encode({n: 42})).toEqual(varint(42n))
    expect(() => codec.encode({n: 1.5})).toThrow(/ at n/)
  })

  it('says which field does not fit', async () => {
    const codec = await avroCodec({type: 'record', name: 'R', fields: [{name: 'count', type: 'int'}]})
    expect(() => codec.encode({count: 'many'})).toThrow(/count/)
    expect(() => codec.encode(['not', 'a', 'record'])).toThrow(/needs a JSON object/)
    // A field the schema lacks (a misspelt one) is not dropped without a word; an absent or null one is nothing.
    expect(() => codec.encode({count: 1, conut: 2})).toThrow('does not fit the Avro schema: R has no field conut')
    expect(codec.decode(codec.encode({count: 1, extra: null}))).toEqual({count: 1})
  })

  it('a string in a union takes its string branch, not a long or decimal one that would take its digits too', async () => {
    const codec = await avroCodec({
      type: 'record',
      name: 'U',
      fields: [{name: 'n', type: ['null', 'long', 'string']}],
    })
    expect(codec.decode(codec.encode({n: '123'}))).toEqual({n: '123'})
    expect(codec.decode(codec.encode({n: 123}))).toEqual({n: 123})
  })

  it('a recursive record (a tree of optional children, bytes inside) decodes to plain JSON', async () => {
    const codec = await avroCodec({
      type: 'record',
      name: 'Node',
      fields: [
        {name: 'tag', type: 'bytes'},
        {name: 'children', type: {type: 'array', items: 'Node'}},
        {name: 'next', type: ['null', 'Node'], default: null},
      ],
    })
    const leaf = {tag: 'AQ==', children: [], next: null}
    const tree = {tag: 'Ag==', children: [leaf, {...leaf, next: leaf}], next: {...leaf, children: [leaf]}}
    expect(codec.decode(codec.encode(tree))).toEqual(tree)
  })

  it('a truncated payload does not decode', async () => {
    const codec = await avroCodec(everything)
    expect(() => codec.decode(bytes.subarray(0, 10))).toThrow()
  })
})

const proto = `syntax = "proto3";
package io.fa.test;
import "google/protobuf/timestamp.proto";
message First { string a = 1; }
message Event {
  enum Kind { UNKNOWN = 0; FAILED = 1; }
  string connector_id = 1;
  int64 big = 2;
  Kind kind = 3;
  google.protobuf.Timestamp occurred_at = 4;
  bytes raw = 5;
  message Inner { uint64 n = 1; }
  Inner inner = 6;
}
`

describe('Protobuf to canonical JSON', () => {
  const root = protobuf.parse(proto).root
  root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')!.nested!)
  const Event = root.lookupType('io.fa.test.Event')
  const payload = Event.encode(
    Event.create({
      connectorId: 'lcc-1',
      big: '9007199254740993',
      kind: 1,
      occurredAt: {seconds: Date.UTC(2026, 10, 24, 10) / 1000, nanos: 5_000_000},
      raw: Buffer.from('hi'),
      inner: {n: 3},
    }),
  ).finish()
  const codec = () => codecFor({id: 2, type: 'PROTOBUF', schema: proto})

  it('reads the message the indexes name: JSON names, 64-bit integers as strings, enum names, ISO Timestamps', async () => {
    // Message indexes [1] (the second message): count 1, then index 1, both zigzag varints.
    const framed = Buffer.concat([Buffer.of(2, 2), payload])
    expect((await codec()).decode(framed)).toEqual({
      connectorId: 'lcc-1',
      big: '9007199254740993',
      kind: 'FAILED',
      occurredAt: '2026-11-24T10:00:00.005Z',
      raw: 'aGk=',
      inner: {n: '3'},
    })
  })

  it('a Timestamp without fractions reads as whole seconds', async () => {
    const First = await codecFor({
      id: 3,
      type: 'PROTOBUF',
      schema: `syntax = "proto3"; import "google/protobuf/timestamp.proto"; message T { google.protobuf.Timestamp at = 1; }`,
    })
    const encoded = First.encode({at: '2026-11-24T10:00:00Z'})
    expect(encoded[0]).toBe(0) // message index [0], as the single 0
    expect(First.decode(encoded)).toEqual({at: '2026-11-24T10:00:00Z'})
  })

  it('refuses a field the message does not have', async () => {
    const first = await codecFor({id: 4, type: 'PROTOBUF', schema: proto})
    expect(() => first.encode({b: 'x'})).toThrow(/no field b/)
  })

  // protobufjs' fromObject coerces what it cannot read: an unknown enum name to the default,
  // "abc" to 0, 1.5 to 1, a 64-bit overflow wrapped. Each lost data without a word.
  it('refuses a value its field cannot carry, naming the field', async () => {
    const schema = `syntax = "proto3"; import "google/protobuf/timestamp.proto";
      message T { enum K { K0 = 0; K1 = 1; } K kind = 1; int64 big = 2; int32 small = 3; uint64 u = 4;
        string name = 5; repeated K kinds = 6; google.protobuf.Timestamp at = 7; message N { int32 n = 1; } N inner = 8; }`
    const t = await codecFor({id: 7, type: 'PROTOBUF', schema})
    for (const [value, field] of [
      [{kind: 'K9'}, 'kind'],
      [{kind: 7}, 'kind'],
      [{big: 'abc'}, 'big'],
      [{big: '9223372036854775808'}, 'big'],
      [{small: 1.5}, 'small'],
      [{small: 2 ** 31}, 'small'],
      [{u: '-1'}, 'u'],
      [{name: 5}, 'name'],
      [{kinds: ['K1', 'K2']}, 'kinds.1'],
      [{at: 'nope'}, 'at'],
      [{inner: {n: 'x'}}, 'inner.n'],
    ] as const) {
      expect(() => t.encode(value), JSON.stringify(value)).toThrow(`does not fit the Protobuf message T at ${field}`)
    }
    expect(t.decode(t.encode({kind: 'K1', big: '-9223372036854775808', small: -3, u: 5, kinds: [1, 'K0']}))).toEqual({
      kind: 'K1',
      big: '-9223372036854775808',
      small: -3,
      u: '5',
      kinds: ['K1', 'K0'],
    })
  })
})

describe('JSON Schema and the wire framing', () => {
  const codec = () =>
    codecFor({
      id: 5,
      type: 'JSON',
      schema: JSON.stringify({type: 'object', properties: {n: {type: 'integer'}}, required: ['n']}),
    })

  it('carries the JSON as it is, checked against the schema', async () => {
    expect((await codec()).decode(Buffer.from('{"n":1,"x":null}'))).toEqual({n: 1, x: null})
    const json = await codec()
    expect(() => json.decode(Buffer.from('{"n":"one"}'))).toThrow(/\/n/)
  })

  // Confluent's serializers write any of these drafts (json.schema.spec.version); each was
  // "cannot be used" before, so every record of such a topic was a dead letter.
  for (const draft of [
    'http://json-schema.org/draft-06/schema#',
    'http://json-schema.org/draft-07/schema#',
    'https://json-schema.org/draft/2019-09/schema',
    'https://json-schema.org/draft/2020-12/schema',
  ]) {
    it(`reads schemas of ${draft}`, async () => {
      const json = await codecFor({
        id: 6,
        type: 'JSON',
        schema: JSON.stringify({
          $schema: draft,
          type: 'object',
          properties: {n: {type: 'integer'}},
          required: ['n'],
          additionalProperties: false,
        }),
      })
      expect(json.decode(Buffer.from('{"n":1}'))).toEqual({n: 1})
      expect(() => json.decode(Buffer.from('{"n":"one"}'))).toThrow(/at \/n: /)
    })
  }

  it('names the property a required or additionalProperties failure is about', async () => {
    const json = await codecFor({
      id: 7,
      type: 'JSON',
      schema: JSON.stringify({
        type: 'object',
        properties: {n: {type: 'integer'}, inner: {type: 'object', additionalProperties: false}},
        required: ['n'],
      }),
    })
    expect(() => json.decode(Buffer.from('{}'))).toThrow(/at \/n: must have required property/)
    expect(() => json.decode(Buffer.from('{"n":1,"inner":{"extra":1}}'))).toThrow(
      /at \/inner\/extra: must NOT have additional properties/,
    )
  })

  it('frames with a zero byte and the id, big-endian; anything else is not framed', async () => {
    const framed = frame(0x01020304, Buffer.from('x'))
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 0x78])
    expect(framedId(framed)).toBe(0x01020304)
    expect(framedId(Buffer.from('{"a":1}'))).toBeUndefined()
    expect(framedId(Buffer.of(0, 1, 2))).toBeUndefined()
    expect(framedId(null)).toBeUndefined()
  })
})
