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
  for (const [name, exactlyOnce] of [
    ['at-least-once', false],
    ['exactly-once', true],
  ]) {
    for (const n of instances) {
      for (const [mix, mixTopics] of mixes) {
        const group = `${prefix}${mix}-${name}-${n}`.replaceAll(' ', '-')
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
            `fa CPU ${cpu.toFixed(1)} s; whole run ${(wall / 1000).toFixed(1)} s)`,
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
  console.log(
    `\ntypical mix with incidents against without (target: at least ${STATEFUL_TARGET} of the stateless figure):`,
  )
  for (const r of results.filter((r) => r.mix === 'typical')) {
    const stateless = results.find((s) => s.mix === 'typical stateless' && s.name === r.name && s.n === r.n)
    if (!stateless) continue
    const ratio = r.rate / stateless.rate
    console.log(
      `  ${r.name}, ${r.n} instance${r.n > 1 ? 's' : ''}: ${Math.round(r.rate).toLocaleString('en')} against ` +
        `${Math.round(stateless.rate).toLocaleString('en')} records/s, ${ratio.toFixed(2)} ` +
        `${ratio >= STATEFUL_TARGET ? 'OK' : 'below'}`,
    )
  }
  if (AVRO) {
    console.log(`\nAvro against JSON, typical mix (target: at least ${AVRO_TARGET} of the JSON figure):`)
    for (const r of results.filter((r) => r.mix === 'typical Avro')) {
      const json = results.find((j) => j.mix === 'typical' && j.name === r.name && j.n === r.n)
      if (!json) continue
      const ratio = r.rate / json.rate
      console.log(
        `  ${r.name}, ${r.n} instance${r.n > 1 ? 's' : ''}: ${ratio.toFixed(2)} ${ratio >= AVRO_TARGET ? 'OK' : 'below'}`,
      )
    }
  }
} finally {
  await registry?.stop()
  await bench.close()
}
