import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {FaError} from '../errors.js'
import {explainIssue} from './explain.js'
import {configSchema, type Config} from './schema.js'

export const CONFIG_FILES = ['fa.config.yaml', 'fa.config.yml', 'fa.config.json']

export interface LoadedConfig {
  config: Config
  /** The file it came from, or null for built-in defaults. */
  file: string | null
  /** Relative module paths in the config resolve against this directory. */
  dir: string
}

/**
 * Loads the config named by `--config` (or FA_CONFIG), else the first of CONFIG_FILES in the
 * working directory, else built-in defaults; then applies environment overrides.
 */
export async function loadConfig(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const named = explicit ?? env.FA_CONFIG
  const file = named ? path.resolve(named) : CONFIG_FILES.map((name) => path.resolve(name)).find((f) => existsSync(f))
  let raw: unknown = {}
  let source: Parameters<typeof explainIssue>[2]
  if (file) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new FaError(
        `cannot read config ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        {hint: 'check the --config path'},
      )
    }
    // Loaded only for a config file: most runs (cron, CI, the quick start) have none or pass env.
    const {parseDocument, LineCounter} = await import('yaml')
    const lines = new LineCounter()
    const doc = parseDocument(text, {lineCounter: lines})
    const error = doc.errors[0]
    if (error) {
      const line = error.linePos ? `:${error.linePos[0].line}` : ''
      throw new FaError(`${file}${line}: not valid YAML: ${error.message.split('\n')[0]}`)
    }
    raw = doc.toJS() ?? {}
    source = {doc, lines}
  }
  const parsed = configSchema.safeParse(applyEnv(raw, env))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    if (issue.path[0] === 'kafka' && issue.path[1] === 'brokers' && env.KAFKA_BROKERS) {
      throw new FaError(`KAFKA_BROKERS "${env.KAFKA_BROKERS}": every broker ${issue.message}`, {
        hint: 'a comma-separated list, e.g. KAFKA_BROKERS=k1:9092,k2:9092',
      })
    }
    throw new FaError(explainIssue(issue, file ?? 'environment', source), {hint: 'see README "Configuration"'})
  }
  return {config: parsed.data, file: file ?? null, dir: file ? path.dirname(file) : process.cwd()}
}

/** Environment variables win over the file. */
function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const config = structuredClone((raw ?? {}) as Record<string, any>)
  if (typeof config !== 'object' || Array.isArray(config)) return raw
  if (env.KAFKA_BROKERS) {
    config.kafka = {
      ...config.kafka,
      brokers: env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    }
  }
  // Confluent Cloud: an API key pair means SASL_SSL PLAIN unless the file says otherwise.
  if (env.KAFKA_API_KEY && env.KAFKA_API_SECRET && !config.kafka?.sasl) {
    config.kafka = {...config.kafka, ssl: true, sasl: {mechanism: 'plain'}}
  }
  if (env.GOOGLE_CLOUD_PROJECT && !config.bigquery?.projectId) {
    config.bigquery = {...config.bigquery, projectId: env.GOOGLE_CLOUD_PROJECT}
  }
  if (env.SCHEMA_REGISTRY_URL) config.schemaRegistry = {...config.schemaRegistry, url: env.SCHEMA_REGISTRY_URL}
  return config
}
