import {mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {requireCredentials} from '../../../src/lib/bigquery/credentials.js'
import {FaError} from '../../../src/lib/errors.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'fa-credentials-'))
const file = (name: string, text: string) => {
  const at = path.join(dir, name)
  writeFileSync(at, text)
  return at
}
const key = JSON.stringify({type: 'service_account', project_id: 'p', client_email: 'a@p.iam.gserviceaccount.com'})

describe('GOOGLE_APPLICATION_CREDENTIALS, checked before any query', () => {
  it('a key file passes', async () => {
    await expect(requireCredentials({GOOGLE_APPLICATION_CREDENTIALS: file('key.json', key)})).resolves.toBeUndefined()
  })

  it('a cut-off file is named, with why', async () => {
    const at = file('cut.json', key.slice(0, 30))
    const error = (await requireCredentials({GOOGLE_APPLICATION_CREDENTIALS: at}).catch((e: unknown) => e)) as FaError
    expect(error).toBeInstanceOf(FaError)
    expect(error.message).toContain(`GOOGLE_APPLICATION_CREDENTIALS (${at}) is not JSON`)
    expect(error.hint).toContain('readable credentials JSON file')
    expect(error.exitCode).toBe(4)
  })

  it('JSON that is not a credentials file, and a missing file', async () => {
    await expect(requireCredentials({GOOGLE_APPLICATION_CREDENTIALS: file('list.json', '[1]')})).rejects.toThrow(
      /is not a Google credentials file: it has no "type" field/,
    )
    await expect(requireCredentials({GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'nope.json')})).rejects.toThrow(
      /nope\.json\) cannot be read: ENOENT/,
    )
  })
})
