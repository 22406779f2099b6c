// kafkajs' own log lines through fa's logger: trouble as warnings, routine answers only in the debug log.
import {describe, expect, it} from 'vitest'

import {configSchema} from '../../../src/lib/config/schema.js'
import {createKafka} from '../../../src/lib/kafka/client.js'
import {createLogger, type LogLevel} from '../../../src/lib/output/log.js'

async function linesFor(level: LogLevel, log: (kafka: Awaited<ReturnType<typeof createKafka>>) => void) {
  const lines: Array<Record<string, unknown>> = []
  const stream = {write: (text: string) => (lines.push(JSON.parse(text)), true)} as unknown as NodeJS.WritableStream
  const logger = createLogger({level, format: 'json', stream, env: {}})
  const kafka = await createKafka(configSchema.parse({kafka: {brokers: ['127.0.0.1:9092']}}), {log: logger})
  log(kafka)
  return lines.filter((l) => l.component === 'kafkajs' && l.msg !== 'kafkajs patches')
}

describe('kafkajs log lines', () => {
  it('an answer to CreateTopics for topics that exist is not a warning (every fa enrich start asks)', async () => {
    const log = (kafka: Awaited<ReturnType<typeof createKafka>>) =>
      kafka
        .logger()
        .namespace('Connection')
        .error('Response CreateTopics(key: 19, version: 3)', {error: 'Topic creation errors', correlationId: 6})
    expect(await linesFor('info', log)).toEqual([])
    expect(await linesFor('debug', log)).toMatchObject([
      {level: 'debug', msg: 'Response CreateTopics(key: 19, version: 3)'},
    ])
  })

  it('other kafkajs errors still warn', async () => {
    const lines = await linesFor('info', (kafka) =>
      kafka.logger().namespace('Connection').error('Response Produce(key: 0, version: 7)', {error: 'Not authorized'}),
    )
    expect(lines).toMatchObject([{level: 'warn', msg: 'Response Produce(key: 0, version: 7)'}])
  })
})
