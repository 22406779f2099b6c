// fa doctor's Schema Registry line checks the subjects `formats:` pins fa's own outputs to, on the
// real registry, without registering anything: none yet is fine (fa registers its schema on the
// first run), one of another format or that cannot carry fa's records fails, as the run would.
import {describe, expect, inject, it} from 'vitest'

import {loadConfig} from '../../../src/lib/config/load.js'
import {schemaRegistryCheck} from '../../../src/lib/doctor/services.js'
import {prefixedConfig} from '../../support/fa-process.js'
import {register} from '../../support/registry.js'

const registryUrl = inject('schemaRegistryUrl')
const jsonSchema = {$schema: 'http://json-schema.org/draft-07/schema#', type: 'object'}

async function pinnedConfig(formats: string) {
  const {file, prefix} = prefixedConfig('doctor-pinned', `schemaRegistry:\n  url: ${registryUrl}\nformats:\n${formats}`)
  return {config: (await loadConfig(file, {})).config, prefix}
}

async function subjects(): Promise<string[]> {
  return (await (await fetch(`${registryUrl}/subjects`)).json()) as string[]
}

describe('fa doctor, pinned output subjects', () => {
  it('passes a subject not registered yet, and registers nothing', async () => {
    const {config, prefix} = await pinnedConfig('  slackMessages: avro\n')
    const verdict = await schemaRegistryCheck(config, 5_000, {})
    expect(verdict.status).toBe('pass')
    expect(verdict.detail).toContain(
      `${prefix}slack-messages-value: none yet (fa registers its avro schema on the first run)`,
    )
    expect((await subjects()).filter((s) => s.startsWith(prefix))).toEqual([])
  })

  it('passes a registered schema fa can write, naming its id', async () => {
    const {config, prefix} = await pinnedConfig('  slackResponses: json-schema\n')
    const id = await register(registryUrl, `${prefix}slack-responses-value`, 'JSON', jsonSchema)
    expect((await schemaRegistryCheck(config, 5_000, {})).detail).toContain(
      `${prefix}slack-responses-value: json-schema, id ${id}`,
    )
  })

  it('fails a subject of another format, and a Protobuf one fa ships no schema for', async () => {
    const mismatched = await pinnedConfig('  slackMessages: avro\n')
    await register(registryUrl, `${mismatched.prefix}slack-messages-value`, 'JSON', jsonSchema)
    await expect(schemaRegistryCheck(mismatched.config, 5_000, {})).rejects.toThrow(
      /slack-messages-value's latest schema \(id \d+\) is json-schema, but its topic is pinned to avro/,
    )
    const proto = await pinnedConfig('  slackMessages: protobuf\n')
    await expect(schemaRegistryCheck(proto.config, 5_000, {})).rejects.toThrow(/fa ships no protobuf schema/)
  })
})
