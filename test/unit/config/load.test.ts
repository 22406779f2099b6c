import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fa-config-')), 'fa.config.yaml')
  writeFileSync(file, text)
  return file
}

const failure = (file: string) =>
  loadConfig(file, {}).then(
    () => {
      throw new Error('loaded')
    },
    (error: Error) => error.message,
  )

describe('loadConfig errors', () => {
  it('name an unknown key with its line and the known key it is nearest', async () => {
    const file = configFile('kafka:\n  clientId: fa\n  brokrs: [k1:9092]\n')
    expect(await failure(file)).toBe(
      `${file}:3: config key "kafka.brokrs" is not one fa knows (did you mean "kafka.brokers"?)`,
    )
  })

  it('name an unknown top-level key; one like no known key gets no guess', async () => {
    expect(await failure(configFile('topcs:\n  notifications: x\n'))).toMatch(
      /:1: config key "topcs" is not one fa knows \(did you mean "topics"\?\)$/,
    )
    expect(await failure(configFile('slack: {}\nwhatever: 1\n'))).toMatch(
      /:2: config key "whatever" is not one fa knows$/,
    )
  })

  it('name a value of the wrong type with the line of its key', async () => {
    const file = configFile('slack:\n  token: {env: X}\n  perChannelPerSecond: fast\n')
    expect(await failure(file)).toMatch(
      new RegExp(`^${file}:3: config key "slack\\.perChannelPerSecond": .*expected number, received string`),
    )
  })

  it('name the line of a YAML syntax error', async () => {
    expect(await failure(configFile('kafka:\n  brokers: [a\n'))).toMatch(/fa\.config\.yaml:\d+: not valid YAML: /)
  })
})
