import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {runCheck} from '../../../src/lib/doctor/check.js'
import {configSchema} from '../../../src/lib/config/schema.js'
import type {LoadedConfig} from '../../../src/lib/config/load.js'
import {bigQueryCheck, schemaRegistryCheck} from '../../../src/lib/doctor/services.js'
import {FaError} from '../../../src/lib/errors.js'

describe('runCheck', () => {
  it('fails a check that does not answer in time, naming what and the fix', async () => {
    const started = Date.now()
    const [result] = await runCheck('kafka', 200, () => new Promise(() => {}), {what: 'b:9092', fix: 'check it'})
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(result).toMatchObject({
      name: 'kafka',
      status: 'fail',
      detail: 'no answer from b:9092 within 0 s',
      fix: 'check it',
    })
  })

  it("turns a thrown FaError into a failure whose fix is the error's hint; one check may report several lines", async () => {
    const [thrown] = await runCheck('slack', 1_000, async () => {
      throw new FaError('no token', {hint: 'export it'})
    })
    expect(thrown).toMatchObject({status: 'fail', detail: 'no token', fix: 'export it'})
    const lines = await runCheck('topics', 1_000, async () => [
      {name: 'topic a', status: 'pass', detail: 'ok'},
      {name: 'topic b', status: 'fail', detail: 'missing'},
    ])
    expect(lines.map((l) => [l.name, l.status])).toEqual([
      ['topic a', 'pass'],
      ['topic b', 'fail'],
    ])
  })
})

describe('the Schema Registry check (Confluent API GET /subjects)', () => {
  let server: Server | undefined
  afterEach(() => server?.close())

  async function registry(answer: (auth: string | undefined) => {status: number; body: unknown}): Promise<string> {
    server = createServer((req, res) => {
      expect(req.url).toBe('/subjects')
      const {status, body} = answer(req.headers.authorization)
      res.writeHead(status, {'content-type': 'application/vnd.schemaregistry.v1+json'}).end(JSON.stringify(body))
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  const registryConfig = (url: string | undefined) =>
    configSchema.parse({schemaRegistry: {url, usernameEnv: 'SR_KEY', passwordEnv: 'SR_SECRET'}})

  it('lists the subjects, with basic auth from the variables the config names or the URL (never shown)', async () => {
    const url = await registry((auth) =>
      auth === `Basic ${Buffer.from('key:secret').toString('base64')}`
        ? {status: 200, body: ['orders-value', 'users-value']}
        : {status: 401, body: {error_code: 40101, message: 'Unauthorized'}},
    )
    const env = {SR_KEY: 'key', SR_SECRET: 'secret'}
    expect(await schemaRegistryCheck(registryConfig(`${url}/`), 1_000, env)).toMatchObject({
      status: 'pass',
      detail: `${url}: 2 subject(s)`,
    })
    const inUrl = registryConfig(url.replace('http://', 'http://key:secret@'))
    expect(await schemaRegistryCheck(inUrl, 1_000, {})).toMatchObject({status: 'pass', detail: `${url}: 2 subject(s)`})
    await expect(schemaRegistryCheck(registryConfig(url), 1_000, {})).rejects.toThrow('refused the credentials (401)')
  })

  it('is skipped without a registry URL; an unreachable one or a non-registry answer fails with the fix', async () => {
    expect(await schemaRegistryCheck(registryConfig(undefined), 1_000)).toMatchObject({status: 'skip'})
    const down = schemaRegistryCheck(registryConfig('http://127.0.0.1:1'), 1_000)
    await expect(down).rejects.toThrow('Schema Registry http://127.0.0.1:1 unreachable')
    await expect(down).rejects.toMatchObject({hint: expect.stringContaining('SCHEMA_REGISTRY_URL')})
    const url = await registry(() => ({status: 200, body: {not: 'a list'}}))
    await expect(schemaRegistryCheck(registryConfig(url), 1_000)).rejects.toThrow('did not answer a list of subjects')
  })
})

describe('the BigQuery check', () => {
  it('without Google credentials fails at once with the one-line fix, as fa produce does', async () => {
    const loaded = {
      config: {bigquery: {projectId: 'p1', location: 'US'}, producers: {modules: []}},
    } as unknown as LoadedConfig
    // No key file, no gcloud login in an empty config dir, no metadata server.
    const env = {CLOUDSDK_CONFIG: mkdtempSync(path.join(tmpdir(), 'fa-gcloud-')), METADATA_SERVER_DETECTION: 'none'}
    const started = Date.now()
    await expect(bigQueryCheck(loaded, env)).rejects.toMatchObject({
      message: 'no Google credentials found for BigQuery',
      hint: expect.stringContaining('gcloud auth application-default login'),
    })
    expect(Date.now() - started).toBeLessThan(2_000)
  })
})

describe('the config check', () => {
  it('fails an incident window not shorter than slack.retention: send would forget a post its updates need', async () => {
    const {runDoctor} = await import('../../../src/lib/doctor/run.js')
    const loaded = (windows: Record<string, string>) => async () =>
      ({config: configSchema.parse({alerts: {windows}}), dir: process.cwd()}) as LoadedConfig
    const report = await runDoctor(loaded({'connector-provisioning-failed': '7d'}))
    expect(report.ok).toBe(false)
    expect(report.checks).toEqual([
      expect.objectContaining({
        name: 'config',
        status: 'fail',
        detail:
          'the incident window of connector-provisioning-failed (7d) is not shorter than slack.retention (7d): fa send would forget a post its updates still need',
        fix: 'set slack.retention longer than every incident window',
      }),
    ])
    const {buildTopology, windowsOverRetention} = await import('../../../src/lib/alerts/topology.js')
    const fine = await loaded({'connector-provisioning-failed': '6d'})()
    expect(windowsOverRetention(await buildTopology(fine), fine.config)).toEqual([])
  })
})
