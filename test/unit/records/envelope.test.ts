import {describe, expect, it} from 'vitest'

import fc from 'fast-check'

import {envelopeSchema, isPlainEnvelope, parseEnvelopeLine, toEnvelope} from '../../../src/lib/records/envelope.js'

const origin = {kind: 'fixture' as const, file: 'f.jsonl', line: 1}

describe('record envelope', () => {
  it('keeps the value in the form it came: JSON, raw string, tombstone', () => {
    const parse = (line: string) => {
      const parsed = parseEnvelopeLine(line, origin)
      if (!parsed.ok) throw new Error(parsed.reason)
      return parsed.record
    }
    expect(parse('{"topic":"t","key":"k","value":{"a":1}}').value).toEqual({a: 1})
    expect(parse('{"topic":"t","value":"{oops"}').value).toBe('{oops')
    expect(parse('{"topic":"t","key":null,"value":null}')).toMatchObject({key: null, value: null, headers: {}})
    expect(parse('{"topic":"t"}')).toMatchObject({key: null, value: null})
    expect(parse('{"topic":"t","value":[1],"headers":{"h":"v"},"timestamp":"2026-11-24T10:00:00Z"}')).toMatchObject({
      value: [1],
      headers: {h: 'v'},
      timestamp: '2026-11-24T10:00:00Z',
    })
  })

  it.each([
    ['{"topic":', /not valid JSON/],
    ['[]', /JSON object with at least "topic"/],
    ['{"key":"k"}', /topic/],
    ['{"topic":""}', /topic must not be empty/],
    ['{"topic":"t","key":1}', /^key: /],
    ['{"topic":"t","value":1}', /^value: /],
    ['{"topic":"t","headers":{"h":1}}', /^headers.h: /],
    ['{"topic":"t","timestamp":"yesterday"}', /timestamp must be an ISO-8601 date-time with a zone/],
    [
      '{"topic":"t","timestamp":"2026-11-24T10:00:00"}',
      /^timestamp 2026-11-24T10:00:00 has no zone: add Z for UTC or an offset such as \+01:00$/,
    ],
    // A typo must not pass as a record without a value: on a table that is a tombstone.
    [
      '{"topic":"t","key":"k","vaule":{}}',
      /^unknown key "vaule" \(did you mean "value"\?\): a record has only topic, key, value, headers, timestamp$/,
    ],
    ['{"topic":"t","partition":1,"hedaers":{}}', /^unknown keys "partition", "hedaers" \(did you mean "headers"\?\)/],
  ])('rejects %s', (line, reason) => {
    const parsed = parseEnvelopeLine(line, origin)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toMatch(reason)
  })

  it('writes raw bytes back as a UTF-8 string and leaves out empty parts', () => {
    expect(toEnvelope({topic: 't', key: 'k', value: Buffer.from('{oops'), headers: {}, origin})).toEqual({
      topic: 't',
      key: 'k',
      value: '{oops',
    })
  })
})

describe('the envelope fast path', () => {
  // Values of every JSON kind, and the strings the schema treats specially.
  const json = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({maxDepth: 2}),
    fc.constantFrom('', 't', '2026-11-24T10:00:00Z', '2026-11-24T10:00:00+01:00', '2026-02-30T10:00:00Z', 'yesterday'),
    fc.dictionary(fc.string({maxLength: 3}), fc.oneof(fc.string({maxLength: 3}), fc.integer(), fc.constant(null)), {
      maxKeys: 3,
    }),
  )

  it('accepts exactly what the schema accepts, with the same record', () => {
    fc.assert(
      fc.property(
        fc.record(
          {topic: json, key: json, value: json, headers: json, timestamp: json, other: json},
          {requiredKeys: []},
        ),
        (input) => {
          const fromJson = JSON.parse(JSON.stringify(input)) as object
          const schema = envelopeSchema.safeParse(fromJson)
          expect(isPlainEnvelope(fromJson)).toBe(schema.success)
          const parsed = parseEnvelopeLine(JSON.stringify(fromJson), origin)
          expect(parsed.ok).toBe(schema.success)
          if (parsed.ok && schema.success) {
            const {key = null, value = null, headers = {}, ...rest} = schema.data
            expect(parsed.record).toEqual({...rest, key, value, headers, origin})
          }
        },
      ),
      {numRuns: 2000},
    )
  })
})
