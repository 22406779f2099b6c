import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {brokerListProblem, splitBrokers} from '../config/write.js'

/** The address `npm run kafka:up` wrote (FA_KAFKA_DIR, ./.kafka, or fa's own .kafka), if any. */
export function detectLocalBroker(
  packageRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): {brokers: string; file: string} | undefined {
  const dirs = [env.FA_KAFKA_DIR, path.resolve('.kafka'), path.join(packageRoot, '.kafka')].filter((d): d is string =>
    Boolean(d),
  )
  for (const dir of dirs) {
    const file = path.join(dir, 'bootstrap')
    if (!existsSync(file)) continue
    const brokers = readFileSync(file, 'utf8').trim()
    if (brokers && !brokerListProblem(splitBrokers(brokers)))
      return {brokers, file: path.relative(process.cwd(), file) || file}
  }
  return undefined
}
