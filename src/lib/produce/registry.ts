import {assertUniqueNames, importUserModule} from '../config/modules.js'
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
  for (const modulePath of options.modules) producers.push(await importProducer(modulePath, options.dir))
  assertUniqueNames(producers, 'producer', 'producers.modules')
  return producers
}

/** The producer `fa produce NAME` asks for. */
export async function findProducer(name: string, options: {modules: string[]; dir: string}): Promise<Producer> {
  const producers = await loadProducers(options)
  const producer = producers.find((candidate) => candidate.name === name)
  if (!producer)
    throw new FaError(`unknown producer "${name}"`, {hint: `known: ${producers.map((p) => p.name).join(', ')}`})
  return producer
}

async function importProducer(modulePath: string, dir: string): Promise<Producer> {
  const {file, value} = await importUserModule(modulePath, dir, 'producers.modules')
  const spec = value as Partial<ProducerSpec> | undefined
  const missing = (
    ['name', 'description', 'sql', 'params', 'topic', 'eventType', 'row', 'naturalKey', 'toEvent'] as const
  ).filter((field) => spec?.[field] === undefined)
  if (
    !spec ||
    typeof spec !== 'object' ||
    missing.length > 0 ||
    typeof spec.row?.safeParse !== 'function' ||
    typeof spec.naturalKey !== 'function' ||
    typeof spec.toEvent !== 'function'
  ) {
    throw new FaError(
      `${file}: the default export is not a producer${missing.length > 0 ? ` (missing ${missing.join(', ')})` : ''}`,
      {
        hint:
          'export default defineProducer({name, description, sql, ' +
          'params, topic, eventType, row, naturalKey, toEvent})',
      },
    )
  }
  return defineProducer(spec as ProducerSpec)
}
