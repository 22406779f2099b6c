// npm run bench:kafka: end-to-end `fa enrich` throughput on a real broker, records/s from the
// source topic to committed alerts, at-least-once and exactly-once, with 100k-row tables; the
// typical mix also on Avro tables and events (bench/avro-mix.mjs; BENCH_AVRO=0 skips it), and
// without incidents (bench/support/stateless-provisioning.mjs), for what stateful alerts cost.
// Uses KAFKA_BROKERS if set, else starts a throwaway broker (scripts/kafka.mjs) and stops it after;
// likewise SCHEMA_REGISTRY_URL and a registry (scripts/registry.mjs).
import {avroTopics as avroTopicsOf, loadAvro, openRegistry, withRegistry} from './avro-mix.mjs'
import {deleteTopics, enrichInstances, fa, loadData, openBench, withoutIncidents} from './support/kafka-data.mjs'

const EVENTS = Number(process.env.BENCH_EVENTS ?? 300_000)
const ROWS = Number(process.env.BENCH_TABLE_ROWS ?? 100_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6)
const TARGET = 30_000
const AVRO_TARGET = 0.8 // of the JSON typical mix's figure, same run
const STATEFUL_TARGET = 0.8 // the typical mix with incidents, of the same mix without them
const AVRO = process.env.BENCH_AVRO !== '0'
// Rounds of every configuration, alternated; the ratios are given per round, then their median and best.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1)

const bench = await openBench({partitions: PARTITIONS})
let registry
try {
  registry = AVRO ? await openRegistry(bench.work) : undefined
  const {prefix, writeConfig, env} = bench
  const configFile = writeConfig('fa.config.yaml')
  const typicalConfig = writeConfig('typical.yaml', {notifications: bench.typicalTopic})
  const avroNames = avroTopicsOf(prefix)
  const avroTopics = {...avroNames.tables, notifications: avroNames.typical}
  /** A config over `overrides`; Avro ones name the registry, stateless ones swap the incidents out. */
  const runConfig = (name, overrides, avro = false, stateless = false) => {
    const file = writeConfig(`${name}.yaml`, overrides)
    if (avro) withRegistry(file, registry.url)
    return stateless ? withoutIncidents(file) : file
  }
  const avroConfig = AVRO ? runConfig('avro', avroTopics, true) : undefined
  await fa(['topics', 'create', '-c', configFile], env)
  await fa(['topics', 'create', '-c', typicalConfig], env)
  if (AVRO) await fa(['topics', 'create', '-c', avroConfig], env)
  const avroMixes = [[avroNames.typical, 1]]
  await loadData(
    bench,
    {events: EVENTS, rows: ROWS, partitions: PARTITIONS},
    AVRO ? loadAvro(registry.url, avroNames, {events: EVENTS, rows: ROWS, mixes: avroMixes}) : undefined,
  )

  // Each configuration reads the same events with a group of its own. Two instances in one group
  // is fa's scale-out (each holds the full tables, the group splits the partitions): on this
  // 2-core machine it is how the whole box gets used. The mixes take turns within each guarantee
  // and instance count, so the ratios compare runs made on the same broker a minute apart, and
  // each run's outputs (alerts, state, repartition topics) are deleted after it: every run
  // starts on the broker as the first did.
  const instances = (process.env.BENCH_INSTANCES ?? '1,2').split(',').map(Number)
  const mixes = [
    ['alert-heavy', {}],
    ['typical', {notifications: bench.typicalTopic}],
    ['typical stateless', {notifications: bench.typicalTopic}],
    ...(AVRO ? [['typical Avro', avroTopics]] : []),
  ].filter(([mix]) => !process.env.BENCH_MIXES || process.env.BENCH_MIXES.split(',').includes(mix))
  const results = []
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, exactlyOnce] of [
      ['at-least-once', false],
      ['exactly-once', true],
    ]) {
      for (const n of instances) {
        for (const [mix, mixTopics] of mixes) {
          const group = `${prefix}${mix}-${name}-${n}-${round}`.replaceAll(' ', '-')
          const own = {state: `${group}.state`, slackMessages: `${group}.alerts`, deadLetters: `${group}.dead-letters`}
          // A state topic of the run's own: incidents one run opened must not turn the next one's alerts into updates.
          const config = runConfig(group, {...mixTopics, ...own}, mixTopics === avroTopics, mix === 'typical stateless')
          await fa(['topics', 'create', '-c', config], env)
          const started = Date.now()
          const outs = await enrichInstances(config, group, {exactlyOnce, n}, env)
          const wall = Date.now() - started
          await deleteTopics(bench.kafka, group)
          const summaries = outs.map((out) => out.summary)
          const lag = summaries.at(-1).lag.total
          if (lag !== 0) throw new Error(`${name} x${n}: lag ${lag} at exit`)
          const read = summaries.reduce((sum, s) => sum + (s.pipelines['connector-provisioning-failed']?.read ?? 0), 0)
          const alerts = summaries.reduce((sum, s) => sum + s.alerts, 0)
          const first = Math.min(...summaries.map((s) => s.streamStartedAt))
          const last = Math.max(...summaries.map((s) => s.lastBatchAt ?? 0))
          const rate = EVENTS / ((last - first) / 1000)
          const tables = Math.max(...summaries.map((s) => s.bootstrap.ms))
          const cpu = outs.reduce((sum, out) => sum + out.cpu, 0)
          results.push({mix, name, n, round, rate})
          if (process.env.BENCH_VERBOSE) {
            for (const s of summaries)
              console.log(
                `  instance: started +${s.streamStartedAt - first} ms, last batch +${s.lastBatchAt - first} ms, ` +
                  `${s.pipelines['connector-provisioning-failed']?.read ?? 0} events`,
              )
          }
          console.log(
            `${`${mix}, ${name}, ${n} instance${n > 1 ? 's' : ''}${ROUNDS > 1 ? ` (round ${round})` : ''}`.padEnd(42)} ` +
              `${Math.round(rate).toLocaleString('en').padStart(8)} records/s  ` +
              `(${EVENTS.toLocaleString('en')} events in ${((last - first) / 1000).toFixed(2)} s, ` +
              `${read - EVENTS > 0 ? `${read - EVENTS} read twice after a rebalance, ` : ''}` +
              `${alerts.toLocaleString('en')} alerts; tables loaded in ${(tables / 1000).toFixed(1)} s; ` +
              `fa CPU ${cpu.toFixed(1)} s; whole run ${(wall / 1000).toFixed(1)} s)`,
          )
        }
      }
    }
  }
  const label = (r) => `${r.name}, ${r.n} instance${r.n > 1 ? 's' : ''}`
  console.log(`\nat-least-once (target: at least ${TARGET.toLocaleString('en')} records/s):`)
  for (const r of results.filter((r) => r.name === 'at-least-once')) {
    console.log(
      `  ${r.mix}, ${r.n} instance${r.n > 1 ? 's' : ''}${ROUNDS > 1 ? ` (round ${r.round})` : ''}: ` +
        `${Math.round(r.rate).toLocaleString('en')} records/s ${r.rate >= TARGET ? 'OK' : 'below'}`,
    )
  }
  /** `mix` against `base` per guarantee and instance count: each round's ratio (same round, a minute apart), then their median and best. */
  const compare = (mix, base, target, title) => {
    console.log(`\n${title} (target: at least ${target} of the ${base} figure):`)
    for (const r of results.filter((r) => r.mix === mix && r.round === 1)) {
      const ratios = results
        .filter((m) => m.mix === mix && m.name === r.name && m.n === r.n)
        .flatMap((m) => {
          const b = results.find((x) => x.mix === base && x.name === m.name && x.n === m.n && x.round === m.round)
          return b ? [{ratio: m.rate / b.rate, rate: m.rate, base: b.rate}] : []
        })
      if (ratios.length === 0) continue
      // Rounded down, so that a ratio just under the target never reads as the target.
      const verdict = (ratio) => `${(Math.floor(ratio * 100) / 100).toFixed(2)} ${ratio >= target ? 'OK' : 'below'}`
      const each = ratios.map(
        (x) =>
          `${Math.round(x.rate).toLocaleString('en')} against ${Math.round(x.base).toLocaleString('en')} records/s, ${verdict(x.ratio)}`,
      )
      if (ratios.length === 1) {
        console.log(`  ${label(r)}: ${each[0]}`)
        continue
      }
      const sorted = ratios.map((x) => x.ratio).sort((a, b) => a - b)
      const median =
        sorted.length % 2
          ? sorted[(sorted.length - 1) / 2]
          : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2
      console.log(`  ${label(r)}: median ${verdict(median)}, best ${verdict(sorted.at(-1))} of ${sorted.length} rounds`)
      for (const [i, line] of each.entries()) console.log(`    round ${i + 1}: ${line}`)
    }
  }
  compare('typical', 'typical stateless', STATEFUL_TARGET, 'typical mix with incidents against without')
  if (AVRO) compare('typical Avro', 'typical', AVRO_TARGET, 'Avro against JSON, typical mix')
} finally {
  await registry?.stop()
  await bench.close()
}
