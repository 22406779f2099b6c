import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {runCheck} from '../../../src/lib/doctor/check.js'
import {listSubjects, schemaRegistryCheck} from '../../../src/lib/doctor/services.js'
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

  it('lists the subjects, with basic auth from the variables the config names', async () => {
    const url = await registry((auth) =>
      auth === `Basic ${Buffer.from('key:secret').toString('base64')}`
        ? {status: 200, body: ['orders-value', 'users-value']}
        : {status: 401, body: {error_code: 40101, message: 'Unauthorized'}},
    )
    const config = {schemaRegistry: {url: `${url}/`, usernameEnv: 'SR_KEY', passwordEnv: 'SR_SECRET'}}
    expect(await schemaRegistryCheck(config, 1_000, {SR_KEY: 'key', SR_SECRET: 'secret'})).toMatchObject({
      status: 'pass',
      detail: `${url}: 2 subject(s)`,
    })
    // Credentials in the URL work too, and are not shown.
    const inUrl = {schemaRegistry: {url: url.replace('http://', 'http://key:secret@')}}
    expect(await schemaRegistryCheck(inUrl, 1_000, {})).toMatchObject({status: 'pass', detail: `${url}: 2 subject(s)`})
    await expect(schemaRegistryCheck(config, 1_000, {})).rejects.toThrow('refused the credentials (HTTP 401)')
  })

  it('is skipped without schemaRegistry in the config; an unreachable one or a non-registry answer fails', async () => {
    expect(await schemaRegistryCheck({}, 1_000)).toMatchObject({status: 'skip'})
    await expect(listSubjects('http://127.0.0.1:1', {timeoutMs: 1_000})).rejects.toThrow(
      'cannot reach http://127.0.0.1:1',
    )
    const url = await registry(() => ({status: 200, body: {not: 'a list'}}))
    await expect(listSubjects(url, {timeoutMs: 1_000})).rejects.toThrow('did not answer a list of subjects')
  })
})
