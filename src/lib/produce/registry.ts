import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {FaError} from '../errors.js'
import onboarding from './onboarding.js'
import {defineProducer, type Producer, type ProducerSpec} from './producer.js'

export const builtInProducers: readonly Producer[] = [onboarding]

/**
 * The built-in producers, then the user's: modules (paths relative to the config file's
 * directory, from `producers.modules`) whose default export is a producer spec, plain or
 * made with `defineProducer`.
 */
export async function loadProducers(options: {modules: string[]; dir: string}): Promise<Producer[]> {
  const producers = [...builtInProducers]
  for (const modulePath of options.modules) producers.push(await importProducer(path.resolve(options.dir, modulePath)))
  const names = new Set<string>()
  for (const producer of producers) {
    if (names.has(producer.name)) throw new FaError(`producer "${producer.name}" is defined twice`, {hint: 'check producers.modules in the config'})
    names.add(producer.name)
  }
  return producers
}

/** The producer `fa produce NAME` asks for. */
export async function findProducer(name: string, options: {modules: string[]; dir: string}): Promise<Producer> {
  const producers = await loadProducers(options)
  const producer = producers.find((candidate) => candidate.name === name)
  if (!producer) throw new FaError(`unknown producer "${name}"`, {hint: `known: ${producers.map((p) => p.name).join(', ')}`})
  return producer
}

async function importProducer(file: string): Promise<Producer> {
  let module: {default?: unknown}
  try {
    module = await import(pathToFileURL(file).href)
  } catch (error) {
    throw new FaError(`cannot load producer module ${file}: ${(error as Error).message}`, {hint: 'check producers.modules in the config', cause: error})
  }
  const spec = module.default as Partial<ProducerSpec> | undefined
  const missing = (['name', 'description', 'sql', 'params', 'topic', 'eventType', 'row', 'naturalKey', 'toEvent'] as const).filter((field) => spec?.[field] === undefined)
  if (!spec || typeof spec !== 'object' || missing.length > 0 || typeof spec.row?.safeParse !== 'function' || typeof spec.naturalKey !== 'function' || typeof spec.toEvent !== 'function') {
    throw new FaError(`${file}: the default export is not a producer${missing.length > 0 ? ` (missing ${missing.join(', ')})` : ''}`, {
      hint: 'export default defineProducer({name, description, sql, params, topic, eventType, row, naturalKey, toEvent})',
    })
  }
  return defineProducer(spec as ProducerSpec)
}
