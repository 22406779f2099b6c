// One `fa produce` run per producer at a time: the lock, its takeover from a dead process, and
// its release at once on SIGTERM.
import {spawn} from 'node:child_process'
import {existsSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {acquireLock, produceLockFile} from '../../../src/lib/produce/lock.js'
import {root} from '../../support/cli.js'
import {recordCount} from '../../support/kafka-io.js'
import {at, json, kafka, onboardingTable, produceHarness, setup, until} from '../../support/produce.js'

const h = produceHarness()

describe('fa produce: the lock', () => {
  it('refuses a run while another one of the same producer holds the lock (exit 7)', async () => {
    const t = await setup(h, 'lock')
    // A run held up in BigQuery, and a second one started meanwhile.
    let release!: () => void
    h.bigquery.setHandler(onboardingTable({delay: new Promise<void>((resolve) => (release = resolve))}))
    const first = t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])
    await Promise.race([
      until(() => h.bigquery.requests.some((r) => r.route === 'jobs.insert')),
      first.then((r) => Promise.reject(new Error(`the first run ended early: ${r.code} ${r.stderr}`))),
    ])
    const second = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])
    release()
    expect(second.code).toBe(7)
    // With --json, the error is JSON on stderr.
    expect(JSON.parse(second.stderr).error).toMatchObject({
      message: expect.stringMatching(
        /^fa produce onboarding is already running \(pid \d+, started \S+ \(\d+ s ago\)\); not starting a second run$/,
      ),
      hint: expect.stringMatching(/^wait for it to finish/),
      exit: 7,
    })
    expect(second.stdout).toBe('')
    expect(json(await first).events).toBe(3)

    // The lock is gone with the run; one held by a live process (this test) refuses again.
    const lock = await acquireLock(
      produceLockFile('onboarding', t.config, {FA_LOCK_DIR: path.join(h.dir, 'locks')}),
      'test',
    )
    try {
      const refused = await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30')])
      expect(refused.code).toBe(7)
      expect(refused.stderr).toContain(`pid ${process.pid}`)
    } finally {
      await lock.release()
    }

    // A lock left by a process that is gone is taken over.
    const gone = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', ''])
      child.on('exit', () => resolve(child.pid!))
    })
    const file = produceLockFile('onboarding', t.config, {FA_LOCK_DIR: path.join(h.dir, 'locks')})
    writeFileSync(
      file,
      JSON.stringify({
        pid: gone,
        host: hostname(),
        startedAt: new Date().toISOString(),
        token: 'stale',
        what: 'crashed',
      }),
    )
    expect(
      json(await t.fa(['produce', 'onboarding', '--since', at('10:00'), '--until', at('10:30'), '--json'])).events,
    ).toBe(3)
  })

  it('SIGTERM while BigQuery runs: exit 130, lock released at once, nothing produced, no checkpoint', async () => {
    const t = await setup(h, 'sigterm')
    let release!: () => void
    h.bigquery.setHandler(onboardingTable({delay: new Promise<void>((resolve) => (release = resolve))}))
    const lockDir = path.join(h.dir, 'locks')
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'bin/run.js'),
        'produce',
        'onboarding',
        '--since',
        at('10:00'),
        '--until',
        at('10:30'),
        '--config',
        t.configFile,
      ],
      {
        cwd: root,
        env: {...process.env, NO_COLOR: '1', ...h.bigquery.env, FA_LOCK_DIR: lockDir},
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    await Promise.race([
      until(() => h.bigquery.requests.some((r) => r.route === 'jobs.insert')),
      exited.then((code) => Promise.reject(new Error(`fa ended early: ${code} ${stderr}`))),
    ])
    const file = produceLockFile('onboarding', t.config, {FA_LOCK_DIR: lockDir})
    expect(existsSync(file)).toBe(true)
    child.kill('SIGTERM')
    // The lock goes before the query answers: the next cron run is not refused.
    await until(() => !existsSync(file))
    release()
    expect(await exited).toBe(130)
    expect(stderr).toBe('interrupted: stopped before the end of the query; the checkpoint was not advanced\n')
    expect(await recordCount(kafka, [t.topic, t.deadLetters, t.checkpoints])).toBe(0)
  })
}, 60_000)
