// `fa offsets reset` (shows what would change, --yes applies, refused while the group has
// members) and `fa produce NAME --checkpoint show|set|reset`.
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Partitioners} from 'kafkajs'
import {describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig, runningProcesses, startFa} from '../support/fa-process.js'
import {testKafka} from '../support/kafka-io.js'
import {committed} from '../support/send.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_WAIT_MS: '100'}
const running = runningProcesses()

describe('fa offsets reset', () => {
  it('shows the change, applies it with --yes, and refuses while the group has members', async () => {
    const cfg = prefixedConfig('offsets-reset')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    // Idempotent: a retried send under load must not write an event twice (the lags below count them).
    const producer = kafka.producer({createPartitioner: Partitioners.DefaultPartitioner, idempotent: true})
    await producer.connect()
    const messages = Array.from({length: 6}, (_, i) => ({key: `org-${i}`, value: JSON.stringify({eventId: `e${i}`})}))
    await producer.send({topic: cfg.topics.notifications, acks: -1, messages})
    await producer.disconnect()
    const group = `${cfg.prefix}g`
    const reset = (...args: string[]) =>
      runFa(['offsets', 'reset', '-c', cfg.file, '--group', group, '--topic', cfg.topics.notifications, ...args], {env})

    const shown = await reset('--to', 'latest', '--json')
    expect(shown.code, shown.stderr).toBe(0)
    const plan = JSON.parse(shown.stdout)
    expect(plan).toMatchObject({group, to: 'latest', applied: false, members: 0})
    // Partition by partition, in order.
    expect(plan.partitions.map((p: {partition: number}) => p.partition)).toEqual([0, 1, 2])
    expect(plan.partitions.reduce((n: number, p: {lagBefore: number}) => n + p.lagBefore, 0)).toBe(6)
    expect(
      plan.partitions.every((p: {lagAfter: number; current: null}) => p.lagAfter === 0 && p.current === null),
    ).toBe(true)
    expect([...(await committed(kafka, group, cfg.topics.notifications)).values()].every((c) => c.offset < 0)).toBe(
      true,
    )

    const applied = await reset('--to', 'latest', '--yes')
    expect(applied.code, applied.stderr).toBe(0)
    expect(applied.stdout).toContain(`reset ${group} to latest: 3 partitions, 6 records to read → 0`)
    const ends = [...(await committed(kafka, group, cfg.topics.notifications)).values()]
    expect(ends.reduce((n, c) => n + c.offset, 0)).toBe(6)
    // With the time of the reset, for fa status's "last commit".
    for (const c of ends) expect(c.metadata).toMatch(/^fa-offsets-reset at=\d+$/)

    // Back to the beginning; without --topic, the topics the group has committed offsets for.
    const back = await runFa(
      ['offsets', 'reset', '-c', cfg.file, '--group', group, '--to', 'earliest', '--yes', '--json'],
      {env},
    )
    expect(JSON.parse(back.stdout).partitions.reduce((n: number, p: {lagAfter: number}) => n + p.lagAfter, 0)).toBe(6)

    // A running member: refused (exit 7), nothing changes.
    const member = startFa(['enrich', '--follow', '-c', cfg.file, '--group', group], env)
    running.add(member)
    await member.waitForLog((l) => l.msg === 'joined the group', 30_000)
    expect((await reset('--to', 'latest')).stdout).toContain('the group has 1 active member: stop it, then run again')
    const refused = await reset('--to', 'latest', '--yes')
    expect(refused.code).toBe(7)
    expect(refused.stderr).toMatch(new RegExp(`consumer group ${group.replaceAll('.', '\\.')} has 1 active member`))
    // Named as people know it (the broker reports the host as /127.0.0.1).
    expect(refused.stderr).toMatch(/ \(\S+@127\.0\.0\.1\): /)
    member.child.kill('SIGTERM')
    await member.exited
  })
})

describe('fa produce --checkpoint', () => {
  it('shows, sets and resets a producer checkpoint', async () => {
    const cfg = prefixedConfig('checkpoint-command', 'bigquery:\n  projectId: fa-test\n')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    const cpEnv = {...env, FA_LOCK_DIR: mkdtempSync(path.join(tmpdir(), 'fa-locks-'))}
    const fa = (...args: string[]) => runFa(['produce', 'onboarding', '-c', cfg.file, ...args], {env: cpEnv})

    const none = await fa('--checkpoint', 'show')
    expect(none.code, none.stderr).toBe(0)
    expect(none.stdout).toBe(`onboarding: no checkpoint in ${cfg.topics.checkpoints}\n`)

    const set = await fa('--checkpoint', 'set', '2026-01-31T08:00:00Z', '--json')
    expect(set.code, set.stderr).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({previous: null, current: '2026-01-31T08:00:00.000Z'})
    const shown = await fa('--checkpoint', 'show', '--json')
    expect(JSON.parse(shown.stdout)).toMatchObject({current: '2026-01-31T08:00:00.000Z'})

    const reset = await fa('--checkpoint', 'reset')
    expect(reset.stdout).toBe('onboarding: checkpoint 2026-01-31T08:00:00.000Z → (none)\n')
    expect(JSON.parse((await fa('--checkpoint', 'show', '--json')).stdout)).toMatchObject({current: null})

    const future = await fa('--checkpoint', 'set', '2099-01-01T00:00:00Z')
    expect(future.code).toBe(2)
    expect((await fa('--checkpoint', 'set')).stderr).toContain('--checkpoint set needs a TIME')
  })
})
