import type {Config} from '../config/schema.js'
import {FaError, Unrecoverable} from '../errors.js'

/** A schema as the registry serves it (Confluent API: AVRO when `schemaType` is absent). */
export interface RegisteredSchema {
  id: number
  type: 'AVRO' | 'PROTOBUF' | 'JSON'
  schema: string
}

/** The registry's schemaType of each `formats:` wire format that needs a registry. */
export const REGISTRY_TYPES = {avro: 'AVRO', protobuf: 'PROTOBUF', 'json-schema': 'JSON'} as const

/** A `formats:` value that means the Schema Registry wire format. */
export type RegistryFormat = keyof typeof REGISTRY_TYPES

/** The registry could not be asked (down, timed out, 5xx, 429): retry later, never dead-letter. */
export class RegistryUnavailable extends Error {
  override name = 'RegistryUnavailable'
}

/** The registry answered no (4xx): `code` is its error_code (40403: schema not found). */
export class RegistryRefused extends Error {
  override name = 'RegistryRefused'
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | undefined,
  ) {
    super(message)
  }
}

/** The registry refused fa's credentials (401/403): every run that meets it stops with this one-line error. */
export class RegistryAuthFailed extends Unrecoverable {}

/**
 * A small client of the Confluent Schema Registry REST API (Confluent's own, Confluent Cloud's,
 * or Apicurio's /apis/ccompat/v7): schemas by id, a subject's latest schema, registration.
 * Failures are sorted into RegistryUnavailable (transient) and RegistryRefused (an answer).
 */
export class RegistryClient {
  private readonly headers: Record<string, string>
  private readonly timeoutMs: number

  /** The base URL without credentials: what messages show (credentials in it are used, never printed). */
  readonly url: string

  constructor(url: string, options: {username?: string; password?: string; timeoutMs: number}) {
    const parsed = new URL(url)
    const inUrl = {username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password)}
    parsed.username = ''
    parsed.password = ''
    this.url = parsed.href.replace(/\/+$/, '')
    this.timeoutMs = options.timeoutMs
    this.headers = {accept: 'application/vnd.schemaregistry.v1+json, application/json'}
    const [username, password] =
      options.username !== undefined && options.password !== undefined
        ? [options.username, options.password]
        : [inUrl.username || undefined, inUrl.password || undefined]
    if (username !== undefined && password !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
    }
  }

  async schemaById(id: number): Promise<RegisteredSchema> {
    const body = (await this.request('GET', `/schemas/ids/${id}`)) as {schema: string; schemaType?: string}
    return {id, type: schemaType(body.schemaType), schema: body.schema}
  }

  async latest(subject: string): Promise<RegisteredSchema> {
    const body = (await this.request('GET', `/subjects/${encodeURIComponent(subject)}/versions/latest`)) as {
      id: number
      schema: string
      schemaType?: string
    }
    return {id: body.id, type: schemaType(body.schemaType), schema: body.schema}
  }

  /** The registered subjects (`GET /subjects`). */
  async subjects(): Promise<string[]> {
    const body = await this.request('GET', '/subjects')
    if (!Array.isArray(body))
      throw new RegistryRefused(`${this.url}/subjects did not answer a list of subjects`, 200, undefined)
    return body.map(String)
  }

  /** Registers (or finds) `schema` under `subject`; a compatibility refusal is a RegistryRefused (409). */
  async register(subject: string, type: RegisteredSchema['type'], schema: string): Promise<number> {
    const body = (await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
      schema,
      ...(type === 'AVRO' ? {} : {schemaType: type}),
    })) as {id: number}
    return body.id
  }

  async request(method: string, path: string, json?: unknown): Promise<unknown> {
    let res: Response
    try {
      res = await fetch(`${this.url}${path}`, {
        method,
        headers: json === undefined ? this.headers : {...this.headers, 'content-type': 'application/json'},
        body: json === undefined ? undefined : JSON.stringify(json),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (error) {
      const cause = (error as {cause?: {code?: string; message?: string}}).cause
      const why =
        (error as Error).name === 'TimeoutError'
          ? `timed out after ${this.timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (error as Error).message)
      throw new RegistryUnavailable(`Schema Registry ${this.url} unreachable (${why})`, {cause: error})
    }
    const text = await res.text().catch(() => '')
    if (res.status >= 500 || res.status === 429 || res.status === 408) {
      throw new RegistryUnavailable(`Schema Registry ${this.url} answered ${res.status} to ${method} ${path}`)
    }
    let body: {message?: string; error_code?: number} = {}
    try {
      body = text ? JSON.parse(text) : {}
    } catch {
      if (res.ok) throw new RegistryUnavailable(`Schema Registry ${this.url} sent a body that is not JSON`)
    }
    if (res.status === 401 || res.status === 403) {
      throw new RegistryAuthFailed(`Schema Registry ${this.url} refused the credentials (${res.status})`, {
        hint:
          'check schemaRegistry.usernameEnv/passwordEnv (default ' +
          'SCHEMA_REGISTRY_API_KEY/SCHEMA_REGISTRY_API_SECRET)',
      })
    }
    if (!res.ok) throw new RegistryRefused(body.message ?? `HTTP ${res.status}`, res.status, body.error_code)
    return body
  }
}

function schemaType(type: string | undefined): RegisteredSchema['type'] {
  if (type === undefined || type === 'AVRO') return 'AVRO'
  if (type === 'PROTOBUF' || type === 'JSON') return type
  throw new RegistryRefused(`unknown schemaType ${type}`, 200, undefined)
}

/** The configured registry, or undefined when no URL is set (config or SCHEMA_REGISTRY_URL). */
export function registryFromConfig(config: Config, env: NodeJS.ProcessEnv = process.env): RegistryClient | undefined {
  const {url, usernameEnv, passwordEnv, timeoutMs} = config.schemaRegistry
  if (!url) return undefined
  return new RegistryClient(url, {username: env[usernameEnv], password: env[passwordEnv], timeoutMs})
}

/** `needs` (what asks for a registry: "formats: topic X") said as the run's error when none is configured. */
export function registryMissing(needs: string): FaError {
  return new FaError(`${needs} needs a Schema Registry, and none is configured`, {
    hint: 'set schemaRegistry.url in the config or SCHEMA_REGISTRY_URL',
  })
}
