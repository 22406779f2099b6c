import type {SchemaObject, ValidateFunction} from 'ajv'

import type {RegisteredSchema} from './registry.js'

/** One registered schema as an encoder and decoder of payloads (the bytes after the 5-byte header). */
export interface SchemaCodec {
  format: 'avro' | 'protobuf' | 'json-schema'
  /** Payload to plain JSON (the documented mapping); throws on bytes that do not decode. */
  decode(payload: Buffer): unknown
  /** Plain JSON to payload; throws naming the field when the value does not fit. */
  encode(value: unknown): Buffer
}

/**
 * A validator for the JSON Schema draft the schema declares (`$schema`): draft-07 (and no
 * `$schema`) by Ajv's default class, draft-06 with its meta-schema added, 2019-09 and 2020-12 by
 * Ajv's classes for them. Confluent's serializers write any of these.
 */
async function jsonSchemaValidator(schema: SchemaObject): Promise<ValidateFunction> {
  const draft = typeof schema.$schema === 'string' ? schema.$schema : ''
  const options = {allErrors: false, strict: false}
  if (draft.includes('/draft/2020-12/')) return new (await import('ajv/dist/2020.js')).Ajv2020(options).compile(schema)
  if (draft.includes('/draft/2019-09/')) return new (await import('ajv/dist/2019.js')).Ajv2019(options).compile(schema)
  const ajv = new (await import('ajv')).Ajv(options)
  if (draft.includes('/draft-06/')) {
    const meta = await import('ajv/dist/refs/json-schema-draft-06.json', {with: {type: 'json'}})
    ajv.addMetaSchema(meta.default)
  }
  return ajv.compile(schema)
}

async function jsonSchemaCodec(schema: string): Promise<SchemaCodec> {
  const validate = await jsonSchemaValidator(JSON.parse(schema) as SchemaObject)
  const check = (value: unknown): void => {
    if (validate(value)) return
    const error = validate.errors?.[0]
    // The property a required or additionalProperties error is about is in its params, not its path.
    const params = (error?.params ?? {}) as {missingProperty?: string; additionalProperty?: string}
    const property = params.missingProperty ?? params.additionalProperty
    const at = `${error?.instancePath ?? ''}${property === undefined ? '' : `/${property}`}`
    throw new Error(`does not fit the JSON Schema at ${at || '(the value)'}: ${error?.message}`)
  }
  return {
    format: 'json-schema',
    decode(payload) {
      const value: unknown = JSON.parse(payload.toString('utf8'))
      check(value)
      return value
    },
    encode(value) {
      check(value)
      return Buffer.from(JSON.stringify(value))
    },
  }
}

/** The codec of a registered schema; the libraries load on first use, so runs without a registry never pay for them. */
export async function codecFor(schema: RegisteredSchema): Promise<SchemaCodec> {
  switch (schema.type) {
    case 'AVRO':
      return (await import('./avro.js')).avroCodec(schema.schema)
    case 'PROTOBUF':
      return (await import('./protobuf.js')).protobufCodec(schema.schema)
    case 'JSON':
      return jsonSchemaCodec(schema.schema)
  }
}

/** The Confluent wire format: a zero magic byte, the schema id (4 bytes, big-endian), the payload. */
export function frame(id: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(5)
  header.writeInt32BE(id, 1)
  return Buffer.concat([header, payload])
}

/** The schema id of framed bytes, or undefined when they are not in the wire format. */
export function framedId(bytes: Uint8Array | null): number | undefined {
  if (bytes === null || bytes.length < 5 || bytes[0] !== 0) return undefined
  return ((bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!) >>> 0
}
