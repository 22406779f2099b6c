import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {detectLocalBroker} from '../../../src/lib/init/detect.js'

const tmp = () => mkdtempSync(path.join(tmpdir(), 'fa-detect-'))

/** A directory whose .kafka holds the `bootstrap` file `npm run kafka:up` writes. */
function withState(bootstrap: string, root = tmp()): string {
  mkdirSync(path.join(root, '.kafka'))
  writeFileSync(path.join(root, '.kafka', 'bootstrap'), bootstrap)
  return root
}

describe('detectLocalBroker', () => {
  // ./.kafka counts too: run where the test decides what is there.
  const before = process.cwd()
  beforeEach(() => process.chdir(tmp()))
  afterEach(() => process.chdir(before))

  it('reads FA_KAFKA_DIR, then ./.kafka, then the package', () => {
    const given = path.join(withState('127.0.0.1:39092\n'), '.kafka')
    const packageRoot = withState('127.0.0.1:40000\n')
    expect(detectLocalBroker(packageRoot, {FA_KAFKA_DIR: given})).toEqual({
      brokers: '127.0.0.1:39092',
      file: path.relative(process.cwd(), path.join(given, 'bootstrap')),
    })
    expect(detectLocalBroker(packageRoot, {})?.brokers).toBe('127.0.0.1:40000')
    withState('127.0.0.1:41000\n', process.cwd())
    expect(detectLocalBroker(packageRoot, {})).toEqual({brokers: '127.0.0.1:41000', file: '.kafka/bootstrap'})
  })

  it('passes over an address that is not host:port; none found is undefined', () => {
    const packageRoot = withState('127.0.0.1:40000\n')
    const garbage = path.join(withState('garbage\n'), '.kafka')
    expect(detectLocalBroker(packageRoot, {FA_KAFKA_DIR: garbage})?.brokers).toBe('127.0.0.1:40000')
    expect(detectLocalBroker(tmp(), {FA_KAFKA_DIR: garbage})).toBeUndefined()
  })
})
