// `fa replay --dry-run` with a Schema Registry configured checks every fixture value against
// its topic's registered schema (the built CLI, the real test registry); without one it runs as before.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {avroSchemas, register} from '../support/registry.js'

const registryUrl = inject('schemaRegistryUrl')

/** A config naming the notifications topic; the fixture's lines name it `as` (default: the configured name). */
function setUp(lines: object[], as?: string): {dir: string; file: string; topic: string} {
  const dir = mkdtempSync(path.join(tmpdir(), 'fa-dry-schemas-'))
  const topic = `t-dry-${path.basename(dir).slice(-6)}.notifications`
  writeFileSync(path.join(dir, 'fa.config.yaml'), `topics:\n  notifications: ${topic}\n`)
  const file = path.join(dir, 'events.jsonl')
  writeFileSync(file, lines.map((l) => JSON.stringify({topic: as ?? topic, key: 'org-a', ...l})).join('\n') + '\n')
  return {dir, file, topic}
}

const event = {eventId: 'e1', orgId: 'org-a', connectorId: 'lcc-1', oldStatus: 'Provisioning'}

describe('fa replay --dry-run with a Schema Registry', () => {
  it('fails on a fixture value the topic schema cannot carry, with FILE:LINE and the field', async () => {
    const lines = [{value: event}, {value: {...event, connectorName: 7}}]
    const {dir, file, topic} = setUp(lines)
    await register(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.notifications)
    const env = {SCHEMA_REGISTRY_URL: registryUrl}
    const result = await runFa(['replay', file, '--dry-run', '--json'], {cwd: dir, env})
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`events.jsonl:2: value for ${topic} does not fit the Avro schema at connectorName`)
    expect(result.stdout).toBe('')
    // The line is a record: the hint about what a line must be would mislead.
    expect(result.stderr).not.toContain('each line must be')

    // The same file without a registry: as before (the value is JSON, so it runs).
    const without = await runFa(['replay', file, '--dry-run', '--json'], {cwd: dir, env: {SCHEMA_REGISTRY_URL: ''}})
    expect(without.code).toBe(0)
  })

  // Fixtures name topics by role or default name too (the quick start's do); the check is on the topic the config names.
  for (const as of ['notifications', 'data-notifications-pipeline']) {
    it(`checks a fixture that names the topic ${as} against the configured topic's subject`, async () => {
      const {dir, file, topic} = setUp([{value: event}, {value: {...event, connectorName: 7}}], as)
      await register(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.notifications)
      const result = await runFa(['replay', file, '--dry-run', '--json'], {
        cwd: dir,
        env: {SCHEMA_REGISTRY_URL: registryUrl},
      })
      expect(result.stderr).toContain(
        `events.jsonl:2: value for ${topic} does not fit the Avro schema at connectorName`,
      )
      expect(result.code).toBe(3)
    })
  }

  it('passes values that fit', async () => {
    const {dir, file, topic} = setUp([{value: event}])
    await register(registryUrl, `${topic}-value`, 'AVRO', avroSchemas.notifications)
    const result = await runFa(['replay', file, '--dry-run', '--json'], {
      cwd: dir,
      env: {SCHEMA_REGISTRY_URL: registryUrl},
    })
    expect(result.code).toBe(0)
  })
})
