// Preloaded with --import: reports on stderr every heavy client module the process loads,
// so a test can prove that start-up and offline commands never pay for Kafka, Slack or BigQuery.
import module from 'node:module'
import {writeSync} from 'node:fs'

const heavy = /node_modules\/(kafkajs|@slack\/web-api|@google-cloud\/bigquery|@inquirer\/prompts)\//
const seen = new Set()
module.registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context)
    const name = heavy.exec(result.url)?.[1]
    if (name && !seen.has(name)) {
      seen.add(name)
      writeSync(2, `HEAVY-IMPORT ${name}\n`)
    }
    return result
  },
})
