// npm run bench:kafka: end-to-end `fa enrich` throughput on a real broker, records/s from the
// source topic to committed alerts, at-least-once and exactly-once, with 100k-row tables; the
// typical mix also on Avro tables and events (bench/avro-mix.mjs; BENCH_AVRO=0 skips it).
// Uses KAFKA_BROKERS if set, else starts a throwaway broker (scripts/kafka.mjs) and stops it after;
// likewise SCHEMA_REGISTRY_URL and a registry (scripts/registry.mjs).
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import kafkajs from 'kafkajs'

import {quietKafkajsWarnings, startBroker} from '../scripts/kafka.mjs'
import {startRegistry} from '../scripts/registry.mjs'
import {avroEncoder} from './avro-mix.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000)
const ROWS = Number(process.env.BENCH_TABLE_ROWS ?? 100_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6)
const TARGET = 30_000
const AVRO_TARGET = 0.8 // of the JSON typical mix's figure, same run
const AVRO = process.env.BENCH_AVRO !== '0'

quietKafkajsWarnings()

const work = mkdtempSync(path.join(tmpdir(), 'fa-bench-kafka-'))
let broker
let brokers = process.env.KAFKA_BROKERS
if (!brokers) {
  const t0 = Date.now()
  broker = await startBroker({dir: path.join(work, 'broker')})
  brokers = broker.bootstrap
  console.log(`broker ${brokers} started in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}
let registry
let registryUrl = process.env.SCHEMA_REGISTRY_URL
if (AVRO && !registryUrl) {
  registry = await startRegistry({dir: path.join(work, 'registry')})
  registryUrl = registry.url
}

const benchPrefix = `bench-${randomUUID().slice(0, 8)}.`
try {
  const prefix = benchPrefix
  const names = {
    notifications: 'data-notifications-pipeline',
    assignments: 'data-csdr-assignment',
    slackUsers: 'data-slack-users',
    onboarding: 'data-onboarding-events',
    slackMessages: 'slack-messages',
    slackResponses: 'slack-responses',
    deadLetters: 'fa-dead-letters',
    checkpoints: 'fa-checkpoints',
  }
  const topics = Object.fromEntries(Object.entries(names).map(([k, v]) => [k, prefix + v]))
  const writeConfig = (name, overrides = {}) => {
    const file = path.join(work, name)
    writeFileSync(
      file,
      `kafka:\n  partitions: ${PARTITIONS}\ntopics:\n${Object.entries({...topics, ...overrides})
        .map(([k, v]) => `  ${k}: ${v}`)
        .join('\n')}\n`,
    )
    return file
  }
  const configFile = writeConfig('fa.config.yaml')
  // The same tables, with events of a typical notifications topic: 1 in 10 a provisioning failure.
  const typicalTopic = `${prefix}data-notifications-typical`
  const typicalConfig = writeConfig('typical.yaml', {notifications: typicalTopic})
  const avroTopics = {
    notifications: `${prefix}avro-notifications-typical`,
    assignments: `${prefix}avro-csdr-assignment`,
    slackUsers: `${prefix}avro-slack-users`,
  }
  const avroConfig = writeConfig('avro.yaml', avroTopics)
  if (AVRO) writeFileSync(avroConfig, `schemaRegistry:\n  url: ${registryUrl}\n`, {flag: 'a'})
  // A quick heartbeat lets the instances of one group settle their partitions fast.
  const env = {
    ...process.env,
    KAFKA_BROKERS: brokers,
    FA_LOG_FORMAT: 'json',
    FA_LOG_LEVEL: 'warn',
    NO_COLOR: '1',
    FA_KAFKA_HEARTBEAT_INTERVAL_MS: '500',
    FA_KAFKA_SESSION_TIMEOUT_MS: '10000',
  }

  await fa(['topics', 'create', '-c', configFile], env)
  await fa(['topics', 'create', '-c', typicalConfig], env)
  if (AVRO) await fa(['topics', 'create', '-c', avroConfig], env)

  // Tables: ROWS Slack users and ROWS assignments (5% point at someone without a Slack user).
  // Events: 20% filtered (not provisioning), ~10% of orgs unassigned, 0.1% malformed, the rest alerts.
  const kafka = new kafkajs.Kafka({clientId: 'fa-bench', brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING})
  const producer = kafka.producer({
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  })
  await producer.connect()
  const t0 = Date.now()
  const slackUser = (i) => ({
    email: `user${i}@example.com`,
    slackUserId: `U${String(i).padStart(9, '0')}`,
    displayName: `User ${i}`,
  })
  const assignment = (i) => {
    const email = i % 20 === 19 ? `nobody${i}@example.com` : `user${(i * 7) % ROWS}@example.com`
    return {orgId: `org-${i}`, orgName: `Org ${i} Inc.`, csdrEmail: email, csdrName: `CSDR ${i}`}
  }
  await produce(producer, topics.slackUsers, ROWS, (i) => ({
    key: `user${i}@example.com`,
    value: JSON.stringify(slackUser(i)),
  }))
  await produce(producer, topics.assignments, ROWS, (i) => ({key: `org-${i}`, value: JSON.stringify(assignment(i))}))
  const event = (i, provisioningPer10, encode = JSON.stringify) => {
    const orgId = `org-${(i * 13) % Math.round(ROWS * 1.1)}`
    const value =
      i % 1000 === 7
        ? '{oops'
        : encode({
            eventId: `evt-${i}`,
            orgId,
            connectorId: `lcc-${i}`,
            connectorName: `connector-${i % 97} <prod> & co`,
            connectorType: 'PostgresCdcSource',
            clusterId: 'lkc-q8m2p',
            environmentId: 'env-3n5v1',
            oldStatus: i % 10 < provisioningPer10 ? 'Provisioning' : 'Running',
            newStatus: 'Failed',
            errorMessage: 'Unable to connect to database host db.internal:5432: connection timed out.',
            occurredAt: '2026-11-24T10:00:00Z',
          })
    return {key: orgId, value}
  }
  await produce(producer, topics.notifications, EVENTS, (i) => event(i, 8))
  await produce(producer, typicalTopic, EVENTS, (i) => event(i, 1))
  if (AVRO) {
    const users = await avroEncoder(registryUrl, 'slackUsers', avroTopics.slackUsers)
    const rows = await avroEncoder(registryUrl, 'assignments', avroTopics.assignments)
    const events = await avroEncoder(registryUrl, 'notifications', avroTopics.notifications)
    await produce(producer, avroTopics.slackUsers, ROWS, (i) => ({
      key: `user${i}@example.com`,
      value: users(slackUser(i)),
    }))
    await produce(producer, avroTopics.assignments, ROWS, (i) => ({key: `org-${i}`, value: rows(assignment(i))}))
    await produce(producer, avroTopics.notifications, EVENTS, (i) => event(i, 1, events))
  }
  await producer.disconnect()
  const loadS = (Date.now() - t0) / 1000
  console.log(
    `produced ${ROWS.toLocaleString('en')} users, ${ROWS.toLocaleString('en')} assignments, ` +
      `${EVENTS.toLocaleString('en')} events of each mix (${PARTITIONS} partitions) in ${loadS.toFixed(1)} s`,
  )
  console.log(
    'alert-heavy mix: 8 in 10 events are provisioning failures (2 in 3 alert); typical mix: 1 in 10 (1 in 12 alert)\n',
  )

  // Each configuration reads the same events with a group of its own. Two instances in one group
  // is fa's scale-out (each holds the full tables, the group splits the partitions): on this
  // 2-core machine it is how the whole box gets used.
  const instances = (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number)
  const results = []
  for (const [mix, config] of [
    ['alert-heavy', configFile],
    ['typical', typicalConfig],
    ...(AVRO ? [['typical Avro', avroConfig]] : []),
  ]) {
    for (const [name, flags] of [
      ['at-least-once', []],
      ['exactly-once', ['--exactly-once']],
    ]) {
      for (const n of instances) {
        const group = `${prefix}${mix}-${name}-${n}`
        const started = Date.now()
        const outs = await Promise.all(
          Array.from({length: n}, (_, i) =>
            fa(
              [
                'enrich',
                '--from',
                'earliest',
                '-c',
                config,
                '--group',
                group,
                '--json',
                ...flags,
                ...(flags.length ? ['--instance', `bench-${i}`] : []),
              ],
              env,
            ),
          ),
        )
        const wall = Date.now() - started
        const summaries = outs.map((out) => JSON.parse(out))
        const lag = summaries.at(-1).lag.total
        if (lag !== 0) throw new Error(`${name} x${n}: lag ${lag} at exit`)
        const read = summaries.reduce((sum, s) => sum + (s.pipelines['connector-provisioning-failed']?.read ?? 0), 0)
        const alerts = summaries.reduce((sum, s) => sum + s.alerts, 0)
        const first = Math.min(...summaries.map((s) => s.streamStartedAt))
        const last = Math.max(...summaries.map((s) => s.lastBatchAt ?? 0))
        const rate = EVENTS / ((last - first) / 1000)
        const tables = Math.max(...summaries.map((s) => s.bootstrap.ms))
        results.push({mix, name, n, rate})
        if (process.env.BENCH_VERBOSE) {
          for (const s of summaries)
            console.log(
              `  instance: started +${s.streamStartedAt - first} ms, last batch +${s.lastBatchAt - first} ms, ` +
                `${s.pipelines['connector-provisioning-failed']?.read ?? 0} events`,
            )
        }
        console.log(
          `${`${mix}, ${name}, ${n} instance${n > 1 ? 's' : ''}`.padEnd(42)} ` +
            `${Math.round(rate).toLocaleString('en').padStart(8)} records/s  ` +
            `(${EVENTS.toLocaleString('en')} events in ${((last - first) / 1000).toFixed(2)} s, ` +
            `${read - EVENTS > 0 ? `${read - EVENTS} read twice after a rebalance, ` : ''}` +
            `${alerts.toLocaleString('en')} alerts; tables loaded in ${(tables / 1000).toFixed(1)} s; ` +
            `whole run ${(wall / 1000).toFixed(1)} s)`,
        )
      }
    }
  }
  console.log(`\nat-least-once (target: at least ${TARGET.toLocaleString('en')} records/s):`)
  for (const r of results.filter((r) => r.name === 'at-least-once')) {
    console.log(
      `  ${r.mix}, ${r.n} instance${r.n > 1 ? 's' : ''}: ` +
        `${Math.round(r.rate).toLocaleString('en')} records/s ${r.rate >= TARGET ? 'OK' : 'below'}`,
    )
  }
  if (AVRO) {
    console.log(`\nAvro against JSON, typical mix (target: at least ${AVRO_TARGET} of the JSON figure):`)
    for (const r of results.filter((r) => r.mix === 'typical Avro')) {
      const json = results.find((j) => j.mix === 'typical' && j.name === r.name && j.n === r.n)
      const ratio = r.rate / json.rate
      console.log(
        `  ${r.name}, ${r.n} instance${r.n > 1 ? 's' : ''}: ${ratio.toFixed(2)} ${ratio >= AVRO_TARGET ? 'OK' : 'below'}`,
      )
    }
  }
} finally {
  if (registry) await registry.stop()
  if (broker) await broker.stop()
  else await deleteTopics().catch((error) => console.error(`could not delete the bench topics: ${error.message}`))
  rmSync(work, {recursive: true, force: true})
}

/** On a broker we did not start, remove what the bench wrote (it is a few GB per run). */
async function deleteTopics() {
  const kafka = new kafkajs.Kafka({clientId: 'fa-bench', brokers: [brokers], logLevel: kafkajs.logLevel.NOTHING})
  const admin = kafka.admin()
  await admin.connect()
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(benchPrefix))
    if (topics.length > 0) await admin.deleteTopics({topics})
  } finally {
    await admin.disconnect()
  }
}

/** Produces `count` generated messages in large batches, a few requests in flight. */
async function produce(producer, topic, count, make) {
  const BATCH = 2_000
  const inFlight = new Set()
  for (let i = 0; i < count; i += BATCH) {
    const messages = []
    for (let j = i; j < Math.min(count, i + BATCH); j++) messages.push(make(j))
    const p = producer.send({topic, acks: -1, messages}).finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 4) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
}

/** Runs the built fa; resolves with stdout, rejects with stderr on a non-zero exit. */
function fa(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`fa ${args.join(' ')} exited ${code}:\n${stderr}`)),
    )
  })
}
