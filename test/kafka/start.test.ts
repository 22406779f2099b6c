// Safe starts: a new consumer group never silently reads all history (`--from`), and `fa send`
// expires alerts older than the maximum alert age instead of posting them.
import {readFileSync, writeFileSync} from 'node:fs'

import {afterAll, describe, expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig} from '../support/fa-process.js'
import {sendOnce, testKafka} from '../support/kafka-io.js'
import {startSlackServer, type SlackServer} from '../support/slack-server.js'
import {alert, committed, produceAlerts, readTopic, responses, sendConfig, TOKEN} from '../support/send.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const env = {KAFKA_BROKERS: brokers, FA_KAFKA_MAX_WAIT_MS: '100'}
const HOUR = 3_600_000

const servers: SlackServer[] = []
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()))
})

const produce = (topic: string, messages: Array<{key: string; value: string; timestamp?: string}>) =>
  sendOnce(kafka, {topic, messages})

const event = (n: number) => ({
  key: 'org-1',
  value: JSON.stringify({eventId: `e-${n}`, orgId: 'org-1', connectorId: `lcc-${n}`, oldStatus: 'Other'}),
})

describe('fa enrich --from', () => {
  it('refuses a new group without --from, saying how many records it would read; latest and a time start there', async () => {
    const cfg = prefixedConfig('start-enrich')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    const hourAgo = Date.now() - HOUR
    await produce(
      cfg.topics.notifications,
      [0, 1, 2].map((n) => ({...event(n), timestamp: String(hourAgo - (3 - n) * HOUR)})),
    )
    const group = `${cfg.prefix}g`
    const refused = await runFa(['enrich', '-c', cfg.file, '--group', group], {env})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`consumer group ${group} is new`)
    expect(refused.stderr).toContain('it would read all 3 records already there')
    expect(refused.stderr).toMatch(/--from earliest.*--from latest.*enrich\.from/)
    expect([...(await committed(kafka, group, cfg.topics.notifications)).values()].every((c) => c.offset < 0)).toBe(
      true,
    )

    // --from latest: nothing of the history; the start is committed, so the next run needs no --from.
    const latest = await runFa(['enrich', '-c', cfg.file, '--group', group, '--from', 'latest', '--json'], {env})
    expect(latest.code, latest.stderr).toBe(0)
    expect(JSON.parse(latest.stdout).records).toBe(0)
    await produce(cfg.topics.notifications, [event(3)])
    const next = await runFa(['enrich', '-c', cfg.file, '--group', group, '--json'], {env})
    expect(next.code, next.stderr).toBe(0)
    expect(JSON.parse(next.stdout).records).toBe(1)

    // A time: the records from then on (the last two of the history, and the new one).
    const since = new Date(hourAgo - 2.5 * HOUR).toISOString()
    const timed = await runFa(['enrich', '-c', cfg.file, '--group', `${group}-t`, '--from', since, '--json'], {env})
    expect(timed.code, timed.stderr).toBe(0)
    expect(JSON.parse(timed.stdout).records).toBe(3)
    // A duration ago, the same way.
    const ago = await runFa(['enrich', '-c', cfg.file, '--group', `${group}-d`, '--from', '210m', '--json'], {env})
    expect(JSON.parse(ago.stdout).records).toBe(3)

    const bad = await runFa(['enrich', '-c', cfg.file, '--from', 'yesterday'], {env})
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('--from yesterday: expected earliest, latest, or a time')
  })

  it('a config naming a source topic that does not exist: one error line, no kafkajs warning', async () => {
    const cfg = prefixedConfig('start-missing')
    expect((await runFa(['topics', 'create', '-c', cfg.file], {env})).code).toBe(0)
    const missing = `${cfg.prefix}no-such-source`
    writeFileSync(cfg.file, readFileSync(cfg.file, 'utf8').replace(cfg.topics.notifications, missing))
    const {code, stderr} = await runFa(['enrich', '-c', cfg.file, '--from', 'earliest'], {
      env: {...env, FA_LOG_FORMAT: 'json'},
    })
    expect(code).toBe(5)
    expect(stderr).toContain(`Error: topic ${missing} does not exist`)
    const warnings = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as {level: string})
      .filter((line) => line.level !== 'info')
    expect(warnings).toEqual([])
  })
})

describe('fa send: new groups and stale alerts', () => {
  it('refuses a new group without --from; expires alerts older than the maximum age and records them', async () => {
    const server = await startSlackServer({token: TOKEN, rate: {perSecond: 20, burst: 5}})
    servers.push(server)
    const setup = await sendConfig(kafka, 'start-send', {apiUrl: server.url})
    const fresh = alert('fresh-1', 'C0AAA')
    const stale = alert('stale-1', 'C0AAA')
    const staleAt = Date.now() - 30 * HOUR
    await produceAlerts(
      kafka,
      setup.topics.messages,
      [fresh],
      [{key: stale.alertId, value: JSON.stringify(stale), timestamp: String(staleAt)}],
    )
    // The shared config says from: earliest; a config without it is refused.
    const strict = setup.file.replace(/\.yaml$/, '.strict.yaml')
    writeFileSync(strict, (await import('node:fs')).readFileSync(setup.file, 'utf8').replace('  from: earliest\n', ''))
    const refused = await runFa(['send', '-c', strict], {env: {...setup.env, FA_CONFIG: strict}})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain(`consumer group ${setup.group} is new`)
    expect(refused.stderr).toContain('2 records')
    expect(server.posts).toEqual([])

    const run = await runFa(['send', '--json', '-c', strict, '--from', 'earliest'], {
      env: {...setup.env, FA_CONFIG: strict},
    })
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({read: 2, delivered: 1, expired: 1, deadLettered: 0})
    expect(server.postsFor('stale-1')).toHaveLength(0)
    expect(server.postsFor('fresh-1')).toHaveLength(1)
    const recorded = await responses(kafka, setup.topics.responses)
    expect(recorded.get('stale-1')).toMatchObject({
      ok: false,
      error: 'expired',
      expired: true,
      eventAt: new Date(staleAt).toISOString(),
      attempts: 0,
    })
    expect(await readTopic(kafka, setup.topics.deadLetters)).toEqual([])
  })

  it('--max-age overrides slack.maxAlertAge', async () => {
    const server = await startSlackServer({token: TOKEN, rate: {perSecond: 20, burst: 5}})
    servers.push(server)
    const setup = await sendConfig(kafka, 'max-age', {apiUrl: server.url})
    const a = alert('two-hours-old', 'C0AAA')
    await produceAlerts(
      kafka,
      setup.topics.messages,
      [],
      [{key: a.alertId, value: JSON.stringify(a), timestamp: String(Date.now() - 2 * HOUR)}],
    )
    const dry = await runFa(['send', '--dry-run', '--json', '--max-age', '1h'], {env: setup.env})
    expect(dry.code, dry.stderr).toBe(0)
    expect(JSON.parse(dry.stdout.trim())).toMatchObject({action: 'expire', alertId: 'two-hours-old'})
    const run = await runFa(['send', '--json', '--max-age', '3h'], {env: setup.env})
    expect(JSON.parse(run.stdout)).toMatchObject({delivered: 1, expired: 0})
  })
})
