import type {KafkaMessage} from 'kafkajs'

import type {Config, TopicFormats, WireFormat} from '../config/schema.js'
import {Unrecoverable} from '../errors.js'
import type {Logger} from '../output/log.js'
import {describeOrigin, type Payload, type TopicRecord} from '../records/record.js'
import {codecFor, framedId, type SchemaCodec} from './codec.js'
import {
  type RegistryFormat,
  registryFromConfig,
  registryMissing,
  RegistryRefused,
  RegistryUnavailable,
  type RegistryClient,
} from './registry.js'

export type Decoding = {ok: true; record: TopicRecord} | {ok: false; reason: string; record: TopicRecord}

export interface PrepareOptions {
  signal?: AbortSignal
  /** Called while waiting for the registry (a consumer group member keeps its session). */
  heartbeat?: () => Promise<void>
  /**
   * How long a one-shot read (fa status) waits for an unavailable registry before it stops with
   * the error; unset, as long as it takes (a consumer processes nothing past the record meanwhile).
   */
  patienceMs?: number
}

/** A schema id the registry does not have, or whose schema fa cannot use: a dead letter, not a retry. */
type Unusable = {unusable: string}

/**
 * The edge where records enter: keys and values in the Schema Registry wire format are decoded
 * to plain JSON before the core sees them (schemas fetched by id once, then cached); others pass
 * as they are. Each topic may be pinned to one format. `prepare` (async: it may fetch schemas,
 * and waits out a registry outage) runs before a batch, `decode` (sync) on each record.
 */
export class RecordDecoder {
  private readonly schemas = new Map<number, SchemaCodec | Unusable>()
  private readonly backoffMs: {first: number; max: number}

  constructor(
    private readonly registry: RegistryClient | undefined,
    private readonly formats: ReadonlyMap<string, TopicFormats>,
    private readonly log: Logger,
    options: {backoffMs?: {first: number; max: number}} = {},
  ) {
    this.backoffMs = options.backoffMs ?? {first: 1_000, max: 30_000}
  }

  /** Fetches the schemas of every framed key and value not seen yet; retries while the registry is unavailable. */
  async prepare(topic: string, messages: readonly KafkaMessage[], options: PrepareOptions = {}): Promise<void> {
    if (!this.registry) return
    const formats = this.formatsOf(topic)
    const missing = new Set<number>()
    for (const message of messages) {
      if (formats.key !== 'json') this.collect(message.key, missing)
      if (formats.value !== 'json') this.collect(message.value, missing)
    }
    for (const id of missing) await this.fetch(id, topic, options)
  }

  /** The record with its key and value decoded, or why it cannot be (a dead letter keeping the wire bytes). */
  decode(record: TopicRecord, message: KafkaMessage): Decoding {
    const formats = this.formatsOf(record.topic)
    const key = this.decodePart('key', message.key, formats.key, record)
    const value = this.decodePart('value', message.value, formats.value, record)
    if (key === undefined && value === undefined) return {ok: true, record}
    const wire = {key: message.key, headers: message.headers ?? {}, value: message.value}
    if (key !== undefined && !key.ok) return {ok: false, reason: key.reason, record: {...record, wire}}
    if (value !== undefined && !value.ok) return {ok: false, reason: value.reason, record: {...record, wire}}
    const decodedKey = key?.ok ? keyText(key.value) : record.key
    const decodedValue = value?.ok ? payloadOf(value.value) : record.value
    return {ok: true, record: {...record, key: decodedKey, value: decodedValue, wire}}
  }

  formatsOf(topic: string): TopicFormats {
    return this.formats.get(topic) ?? AUTO
  }

  private collect(bytes: Buffer | null, into: Set<number>): void {
    const id = framedId(bytes)
    if (id !== undefined && !this.schemas.has(id)) into.add(id)
  }

  private async fetch(id: number, topic: string, {signal, heartbeat, patienceMs}: PrepareOptions): Promise<void> {
    const until = patienceMs === undefined ? Infinity : Date.now() + patienceMs
    for (let attempt = 0; ; attempt++) {
      try {
        const schema = await this.registry!.schemaById(id)
        try {
          this.schemas.set(id, await codecFor(schema))
        } catch (error) {
          this.schemas.set(id, {unusable: `its ${schema.type} schema cannot be used: ${(error as Error).message}`})
        }
        return
      } catch (error) {
        if (error instanceof RegistryRefused && error.status === 404) {
          this.schemas.set(id, {unusable: 'not found in the Schema Registry'})
          return
        }
        if (!(error instanceof RegistryUnavailable) || signal?.aborted) throw error
        const wait = Math.min(this.backoffMs.max, this.backoffMs.first * 2 ** attempt)
        if (Date.now() + wait > until)
          throw new Unrecoverable(`${error.message} (topic ${topic}, schema id ${id})`, {
            hint: 'check that the registry is up and schemaRegistry.url (or SCHEMA_REGISTRY_URL) points at it',
            cause: error,
          })
        this.log.warn('Schema Registry unavailable: consumption paused, retrying', {
          topic,
          schemaId: id,
          error: error.message,
          inMs: wait,
        })
        await sleep(wait, signal)
        if (signal?.aborted) throw error
        await heartbeat?.()
      }
    }
  }

  private decodePart(
    part: 'key' | 'value',
    bytes: Buffer | null,
    format: WireFormat,
    record: TopicRecord,
  ): {ok: true; value: unknown} | {ok: false; reason: string} | undefined {
    if (bytes === null) return undefined
    const id = framedId(bytes)
    if (id === undefined) {
      if (format === 'auto' || format === 'json') return undefined
      return {
        ok: false,
        reason: `${where(record, part)} is not in the Schema Registry wire format, but topic ${record.topic} is pinned to ${format}`,
      }
    }
    if (format === 'json') {
      return {
        ok: false,
        reason:
          `${where(record, part)} is in the Schema Registry wire format (schema id ${id}), but topic ` +
          `${record.topic} is pinned to json`,
      }
    }
    if (!this.registry) return undefined // no registry: read as before (JSON or raw)
    const codec = this.schemas.get(id)
    if (codec === undefined) throw new Error(`schema id ${id} was not prepared`)
    if ('unusable' in codec) return {ok: false, reason: `${where(record, part)} schema id ${id}: ${codec.unusable}`}
    if (format !== 'auto' && codec.format !== format) {
      return {
        ok: false,
        reason: `${where(record, part)} schema id ${id} is ${codec.format}, but topic ${record.topic} is pinned to ${format}`,
      }
    }
    try {
      return {ok: true, value: codec.decode(bytes.subarray(5))}
    } catch (error) {
      return {
        ok: false,
        reason: `${where(record, part)} schema id ${id}: does not decode as ${codec.format}: ${(error as Error).message}`,
      }
    }
  }
}

const AUTO: TopicFormats = {key: 'auto', value: 'auto'}

/** Where a failure is (built only for one: most records decode). */
function where(record: TopicRecord, part: 'key' | 'value'): string {
  return `${describeOrigin(record)}: ${part}`
}

function keyText(value: unknown): string | null {
  if (value === null || typeof value === 'string') return value
  return JSON.stringify(value)
}

/** A decoded object is JSON for the core; anything else goes as its JSON text (the core then says what it is). */
function payloadOf(value: unknown): Payload {
  if (value !== null && typeof value === 'object') return value as Payload
  return JSON.stringify(value)
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), {once: true})
  })
}

/**
 * The decoder for a run, or undefined when nothing needs one (no registry and no pinned format:
 * records are read exactly as before). `topics` resolves the logical names `formats:` uses.
 */
export function decoderFromConfig(
  config: Config,
  topic: (role: string) => string,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): RecordDecoder | undefined {
  const registry = registryFromConfig(config, env)
  const formats = new Map<string, TopicFormats>()
  for (const [role, f] of Object.entries(config.formats)) formats.set(topic(role), f)
  const pinned = [...formats.entries()].find(([, f]) => isRegistryFormat(f.key) || isRegistryFormat(f.value))
  if (!registry && pinned) {
    throw registryMissing(`formats: topic ${pinned[0]}`)
  }
  if (!registry && formats.size === 0) return undefined
  return new RecordDecoder(registry, formats, log)
}

export function isRegistryFormat(format: WireFormat): format is RegistryFormat {
  return format === 'avro' || format === 'protobuf' || format === 'json-schema'
}
