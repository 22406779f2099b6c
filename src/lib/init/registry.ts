import {ENV_NAME, type InitSettings} from '../config/write.js'
import {FaError} from '../errors.js'
import type {Prompter} from './prompt.js'
import type {Where} from './ask.js'

export interface RegistryAnswers {
  /** The Schema Registry's URL; empty or `none`: no registry (topics stay JSON). */
  'schema-registry'?: string
  'schema-registry-key-env'?: string
  'schema-registry-secret-env'?: string
}

const KEY_ENV = 'SCHEMA_REGISTRY_API_KEY'
const SECRET_ENV = 'SCHEMA_REGISTRY_API_SECRET'

function urlProblem(text: string): string | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : 'an http:// or https:// URL'
  } catch {
    return 'an http:// or https:// URL (Enter: none)'
  }
}

/**
 * The Schema Registry (for Avro, Protobuf and JSON Schema topics), or undefined for none. Off
 * localhost it takes an API key and secret (Confluent Cloud's), named by environment variables.
 */
export async function askRegistry(
  f: RegistryAnswers,
  where: Where,
  p: Prompter | undefined,
): Promise<InitSettings['schemaRegistry']> {
  let url = f['schema-registry']
  if (url === undefined && p) {
    url = await p.input({
      message: 'Schema Registry URL, for Avro/Protobuf/JSON Schema topics (Enter: none, topics are JSON)',
      default: '',
      validate: (v) => v.trim() === '' || (urlProblem(v.trim()) ?? true),
    })
  }
  url = url?.trim()
  if (!url || url === 'none') {
    if (f['schema-registry-key-env'] || f['schema-registry-secret-env'])
      throw new FaError('--schema-registry-key-env and --schema-registry-secret-env need --schema-registry URL')
    return undefined
  }
  const problem = urlProblem(url)
  if (problem) throw new FaError(`--schema-registry ${url}: must be ${problem}`)
  if (where === 'local') return {url}
  const pick = async (given: string | undefined, fallback: string, label: string, flag: string) => {
    if (given !== undefined) {
      if (!ENV_NAME.test(given)) throw new FaError(`--${flag}: must be an environment variable name`)
      return given
    }
    if (!p) return fallback
    const validate = (v: string) => ENV_NAME.test(v.trim()) || 'an environment variable name, not the value itself'
    return (
      await p.input({message: `Environment variable holding the Schema Registry ${label}`, default: fallback, validate})
    ).trim()
  }
  return {
    url,
    usernameEnv: await pick(f['schema-registry-key-env'], KEY_ENV, 'API key', 'schema-registry-key-env'),
    passwordEnv: await pick(f['schema-registry-secret-env'], SECRET_ENV, 'API secret', 'schema-registry-secret-env'),
  }
}
