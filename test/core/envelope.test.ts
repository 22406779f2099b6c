import {describe, expect, it} from 'vitest'

import {parseEnvelopeLine, toEnvelope} from '../../src/lib/records/envelope.js'

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
    expect(parse('{"topic":"t","value":[1],"headers":{"h":"v"},"timestamp":"2026-11-24T10:00:00Z"}')).toMatchObject({value: [1], headers: {h: 'v'}, timestamp: '2026-11-24T10:00:00Z'})
  })

  it.each([
    ['{"topic":', /not valid JSON/],
    ['[]', /JSON object with at least "topic"/],
    ['{"key":"k"}', /topic/],
    ['{"topic":""}', /topic must not be empty/],
    ['{"topic":"t","key":1}', /^key: /],
    ['{"topic":"t","value":1}', /^value: /],
    ['{"topic":"t","headers":{"h":1}}', /^headers.h: /],
    ['{"topic":"t","timestamp":"yesterday"}', /timestamp must be an ISO-8601/],
  ])('rejects %s', (line, reason) => {
    const parsed = parseEnvelopeLine(line, origin)
    expect(parsed.ok).toBe(false)
    expect(!parsed.ok && parsed.reason).toMatch(reason)
  })

  it('writes raw bytes back as a UTF-8 string and leaves out empty parts', () => {
    expect(toEnvelope({topic: 't', key: 'k', value: Buffer.from('{oops'), headers: {}, origin})).toEqual({topic: 't', key: 'k', value: '{oops'})
  })
})
