// npm run bench:streams: fa enrich side by side with a Kafka Streams 4.4 application of the same
// topology (bench/streams/), on the same input topics, each run with a fresh group / application
// id and output topics of its own: records/s, wall time and CPU seconds of each and of the broker,
// for both mixes, both guarantees, one and two instances (and one fa process with --threads 2).
// The counts must agree or the bench fails.
// BENCH_AVRO=1 adds both mixes with Avro tables and events (bench/avro-mix.mjs), which the Streams
// app decodes from the registry's wire format (bench/streams/.../Values.java).
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {avroTopics, loadAvro, openRegistry, withRegistry} from './avro-mix.mjs'
import {deleteTopics, enrichInstances, fa, loadData, openBench, withoutIncidents} from './support/kafka-data.mjs'
import {buildStreamsApp, runStreamsApp} from './support/streams-app.mjs'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000)
const ROWS = Number(process.env.BENCH_TABLE_ROWS ?? 100_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)
const instances = (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number)
// Without incidents by default: fa's built-in alert type with its incidents swapped out, the
// Streams app stateless. BENCH_INCIDENTS=1 runs fa's as shipped (incidents, repartitioning, state)
// and the Streams app with the same: keyed by connector id through a repartition topic, a store.
const INCIDENTS = process.env.BENCH_INCIDENTS === '1'
const AVRO = process.env.BENCH_AVRO === '1'
// BENCH_MIXES=alert-heavy,typical Avro runs only those (of the mixes loaded).
const only = process.env.BENCH_MIXES?.split(',').map((m) => m.trim())
// One instance is also measured as one fa process with --threads (like num.stream.threads), set
// against one Streams thread and against as many; BENCH_FA_THREADS=1 leaves that out.
const FA_THREADS = Number(process.env.BENCH_FA_THREADS ?? 2)

const t0 = Date.now()
buildStreamsApp()
console.log(`bench/streams built in ${((Date.now() - t0) / 1000).toFixed(1)} s`)

const bench = await openBench({partitions: PARTITIONS})
const brokerPid = pidListeningOn(Number(bench.brokers.split(':').at(-1)))
let registry
try {
  registry = AVRO ? await openRegistry(bench.work) : undefined
  const {prefix, topics, writeConfig, env} = bench
  const jsonTables = {assignments: topics.assignments, slackUsers: topics.slackUsers}
  const avro = avroTopics(prefix)
  /** Each mix: its source and tables, and the registry its topics need (Avro). */
  const mixes = {
    'alert-heavy': {notifications: topics.notifications, ...jsonTables},
    typical: {notifications: bench.typicalTopic, ...jsonTables},
    ...(AVRO && {
      'alert-heavy Avro': {notifications: avro.alertHeavy, ...avro.tables, registry: registry.url},
      'typical Avro': {notifications: avro.typical, ...avro.tables, registry: registry.url},
    }),
  }
  /** An fa config over a mix's topics and `outputs`. */
  const mixConfig = (name, {registry: url, ...mixTopics}, outputs = {}) => {
    const file = writeConfig(name, {...mixTopics, ...outputs})
    return url ? withRegistry(file, url) : file
  }
  for (const [mix, mixTopics] of Object.entries(mixes))
    await fa(['topics', 'create', '-c', mixConfig(`${mix.replaceAll(' ', '-')}.yaml`, mixTopics)], env)
  const avroMixes = [
    [avro.alertHeavy, 8],
    [avro.typical, 1],
  ]
  await loadData(
    bench,
    {events: EVENTS, rows: ROWS, partitions: PARTITIONS},
    AVRO ? loadAvro(registry.url, avro, {events: EVENTS, rows: ROWS, mixes: avroMixes}) : undefined,
  )
  if (!brokerPid) console.log('(broker CPU not shown: no process found listening on its port)\n')

  let run = 0
  const best = new Map()
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [mix, mixTopics] of Object.entries(mixes).filter(([m]) => !only || only.includes(m))) {
      for (const guarantee of ['at_least_once', 'exactly_once_v2']) {
        /** This mix and guarantee's one-process fa --threads run, set against Streams with as many threads too. */
        let threaded
        for (const n of instances) {
          const tag = `${mix.replaceAll(' ', '-')}-${guarantee}-${n}-${++run}`
          const outputs = (who) => ({
            slackMessages: `${prefix}${who}-${tag}.alerts`,
            deadLetters: `${prefix}${who}-${tag}.dlq`,
            // Incidents one run opened must not turn the next run's alerts into updates.
            state: `${prefix}${who}-${tag}.state`,
          })
          // One instance: one fa process on one thread, and one with --threads (BENCH_FA_THREADS).
          const sides = n === 1 && FA_THREADS > 1 ? [1, FA_THREADS] : [1]
          const faResults = []
          for (const threads of sides) {
            const who = threads > 1 ? `fa${threads}t` : 'fa'
            const faConfig = mixConfig(`${who}-${tag}.yaml`, mixTopics, outputs(who))
            if (!INCIDENTS) withoutIncidents(faConfig)
            // fa topics create makes the Streams app's outputs too, alike: same partitions, same settings.
            await fa(['topics', 'create', '-c', faConfig], env)
            const group = `${prefix}${who}-${tag}`
            faResults.push({threads, ...(await measure(() => runFa(faConfig, group, guarantee, n, threads, env)))})
          }
          const streamsOut = outputs('streams')
          await fa(['topics', 'create', '-c', writeConfig(`streams-${tag}.yaml`, streamsOut)], env)
          const streamsResult = await measure(() =>
            runStreamsApp(
              {
                bootstrap: bench.brokers,
                application: `${prefix}streams-${tag}`,
                source: mixTopics.notifications,
                assignments: mixTopics.assignments,
                slackUsers: mixTopics.slackUsers,
                alerts: streamsOut.slackMessages,
                deadLetters: streamsOut.deadLetters,
                guarantee,
                threads: n,
                stateDir: path.join(bench.work, `state-${tag}`),
                ...(mixTopics.registry && {registry: mixTopics.registry}),
                ...(INCIDENTS && {incidents: 1}),
              },
              env,
            ).then((s) => ({...s, rate: EVENTS / ((s.lastCommitAt - s.streamStartedAt) / 1000), processes: 1})),
          )
          const pairs = faResults.map((faResult) => ({mix, guarantee, n, fa: faResult, streams: streamsResult}))
          if (threaded && n === threaded.threads) pairs.push({mix, guarantee, n, fa: threaded, streams: streamsResult})
          threaded = faResults.find((r) => r.threads > 1) ?? threaded
          for (const pair of pairs) {
            for (const [what, f, st] of [
              ['alerts', pair.fa.alerts, streamsResult.alerts],
              ['dead letters', pair.fa.deadLetters, streamsResult.deadLetters],
              ['updates', pair.fa.updates, streamsResult.updates],
            ]) {
              if (f !== st) throw new Error(`${tag}: fa wrote ${f} ${what}, the Streams app ${st}`)
            }
            const key = `${mix}|${guarantee}|${n}|${pair.fa.threads}`
            const previous = best.get(key)
            if (!previous || pair.fa.rate / streamsResult.rate > previous.fa.rate / previous.streams.rate) {
              best.set(key, pair)
            }
            print(pair, round)
          }
          // Each pair starts on the broker as the first did: this pair's outputs (GBs) go now.
          for (const who of ['fa', `fa${FA_THREADS}t`, 'streams'])
            await deleteTopics(bench.kafka, `${prefix}${who}-${tag}`)
        }
      }
    }
  }
  if (ROUNDS > 1) {
    console.log(`\nbest ratio of ${ROUNDS} rounds:`)
    for (const row of best.values()) print(row)
  }
} finally {
  await registry?.stop()
  await bench.close()
}

/** n fa enrich processes of `threads` threads each in one group; the summary of the lot. */
async function runFa(config, group, guarantee, n, threads, env) {
  const outs = await enrichInstances(config, group, {exactlyOnce: guarantee === 'exactly_once_v2', n, threads}, env)
  const summaries = outs.map((o) => o.summary)
  const lag = summaries.at(-1).lag.total
  if (lag !== 0) throw new Error(`fa ${group}: lag ${lag} at exit`)
  const first = Math.min(...summaries.map((s) => s.streamStartedAt))
  const last = Math.max(...summaries.map((s) => s.lastBatchAt ?? 0))
  return {
    rate: EVENTS / ((last - first) / 1000),
    alerts: summaries.reduce((sum, s) => sum + s.alerts, 0),
    deadLetters: summaries.reduce((sum, s) => sum + s.deadLetters, 0),
    updates: summaries.reduce((sum, s) => sum + (s.pipelines['connector-provisioning-failed']?.updates ?? 0), 0),
    cpu: outs.reduce((sum, o) => sum + o.cpu, 0),
    processes: n,
  }
}

/** Runs `work`, adding its wall time and the broker's CPU seconds meanwhile. */
async function measure(work) {
  const cpu0 = brokerCpu()
  const started = Date.now()
  const result = await work()
  return {...result, wall: (Date.now() - started) / 1000, brokerCpu: brokerCpu() - cpu0}
}

function print({mix, guarantee, n, fa, streams}, round) {
  const sides =
    fa.threads > 1
      ? `one fa process --threads ${fa.threads} against ${n} Streams thread${n > 1 ? 's' : ''}`
      : `${n} instance${n > 1 ? 's' : ''}`
  const label = `${mix}, ${guarantee}, ${sides}${round && ROUNDS > 1 ? ` (round ${round})` : ''}`
  const side = (r) =>
    `${Math.round(r.rate).toLocaleString('en').padStart(7)} rec/s, wall ${r.wall.toFixed(1)} s, ` +
    `CPU ${r.cpu.toFixed(1)} s${brokerPid ? ` (broker ${r.brokerCpu.toFixed(1)} s)` : ''}`
  console.log(
    `${label}: ${(fa.rate / streams.rate).toFixed(2)}x  [${fa.alerts.toLocaleString('en')} alerts, ` +
      `${fa.deadLetters} dead letters each]\n  fa      ${side(fa)}\n  Streams ${side(streams)}`,
  )
}

function pidListeningOn(port) {
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], {encoding: 'utf8'})
    return Number(out.match(/pid=(\d+)/)?.[1]) || undefined
  } catch {
    return undefined
  }
}

/** The broker's user + system CPU seconds so far (/proc/<pid>/stat fields 14 and 15, in clock ticks). */
function brokerCpu() {
  if (!brokerPid) return 0
  const fields = readFileSync(`/proc/${brokerPid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
