// npm run bench: replay throughput and peak memory against a bare stream-and-parse baseline,
// and start-up time of `fa --version` against a bare `node -e ''`.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {generateFixture} from './generate.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const events = Number(process.env.BENCH_EVENTS ?? 200_000)
const runs = Number(process.env.BENCH_RUNS ?? 5)
const dir = mkdtempSync(path.join(tmpdir(), 'fa-bench-replay-'))
process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
const file = path.join(dir, 'bench.jsonl')
// A notifications topic carries every connector status change: 1 event in 10 a provisioning failure.
await generateFixture(file, {events, provisioningPer10: 1})
// The headline for replay against parse + stringify: 3 in 10 events provisioning failures, so
// about 30% of the events alert (28.5%: some orgs' account team members have no Slack user).
const third = path.join(dir, 'thirty-percent.jsonl')
await generateFixture(third, {events, provisioningPer10: 3})
// The stress mix: 8 in 10 events are provisioning failures, so 3 in 4 records produce an alert
// and the output (each alert a ~1.9 KB Block Kit payload) is three times the input's size.
const heavy = path.join(dir, 'alert-heavy.jsonl')
await generateFixture(heavy, {events})
const lines = events + 1_090
const mib = (f) => (statSync(f).size / 2 ** 20).toFixed(1)
console.log(
  `fixtures: ${lines} records each (1,090 table records, then events), ` +
    `${mib(third)}, ${mib(file)} and ${mib(heavy)} MiB\n`,
)

/** One run of a command: wall time, CPU time (user + system) and peak RSS. */
function once(args) {
  const time = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '%M %U %S'] : []
  const started = performance.now()
  const result = spawnSync(time[0] ?? args[0], [...time.slice(1), ...(time.length ? args : args.slice(1))], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  })
  const ms = performance.now() - started
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`)
  const [rssKiB, user, system] = (result.stderr.trim().split('\n').at(-1) ?? '').split(' ').map(Number)
  return {ms, rssKiB, cpuMs: (user + system) * 1000}
}

/**
 * The best of `times` runs of each command, with the median wall time, taking turns: this
 * machine's speed drifts by tens of percent over minutes, and turns keep a drift from landing on
 * one command only. Bursts of speed favour a short command's best, so ratios are shown both ways.
 */
function measure(commands, times = runs) {
  const all = commands.map(() => [])
  for (let i = 0; i < times; i++) commands.forEach((args, j) => all[j].push(once(args)))
  return all.map((list) => {
    const sorted = [...list].sort((a, b) => a.ms - b.ms)
    return {...sorted[0], medianMs: sorted[sorted.length >> 1].ms}
  })
}

/** How fast `run` is against `base`, as a percentage of its speed, by best and by median time. */
const speed = (base, run) => {
  const best = ((base.ms / run.ms) * 100).toFixed(0)
  const median = ((base.medianMs / run.medianMs) * 100).toFixed(0)
  return `${best}% by best times, ${median}% by medians`
}

const row = (name, {ms, medianMs, rssKiB, cpuMs}, n) => {
  const time = `${(ms / 1000).toFixed(2).padStart(6)} s (median ${(medianMs / 1000).toFixed(2)} s)`
  const rate = Math.round(n / (ms / 1000))
    .toLocaleString('en')
    .padStart(10)
  const resources = Number.isFinite(rssKiB)
    ? `  peak RSS ${(rssKiB / 1024).toFixed(0).padStart(3)} MiB  CPU ${(cpuMs / 1000).toFixed(2)} s`
    : ''
  console.log(`${name.padEnd(46)} ${time}  ${rate} records/s${resources}`)
}

// All measured alike: a fresh process each run (start-up and cold JIT included), `runs` turns.
const node = process.execPath

// Replay would share a file this large among threads, one per CPU (up to 4), but keeps to one
// while a stateful alert type (incidents) is on, as connector-provisioning-failed is.
const onThreads = 'default threads'

/** Replay of `fixture` against the bare parse of it; `human` adds the output for people. */
function compare(title, fixture, {human = false, note}) {
  const replay = [node, 'bin/run.js', 'replay', fixture, '--dry-run']
  const commands = [
    [node, 'bench/parse-baseline.mjs', fixture],
    [node, 'bench/stringify-baseline.mjs', fixture],
    [...replay, '--json'],
    [...replay, '--json', '--workers', '1'],
    ...(human ? [replay] : []),
  ]
  const [base, stringify, json, single, people] = measure(commands)
  console.log(title)
  row('baseline: stream + JSON.parse', base, lines)
  row('baseline: parse + JSON.stringify out', stringify, lines)
  row(`fa replay --dry-run --json (${onThreads})`, json, lines)
  row('fa replay --dry-run --json --workers 1', single, lines)
  if (people) row(`fa replay --dry-run (human, ${onThreads})`, people, lines)
  console.log(
    `replay --json speed against the baseline: ${speed(base, json)} (${note}); on one thread ${speed(base, single)}`,
  )
  console.log(
    `replay --json on one thread against parse + stringify: ${(single.ms / stringify.ms).toFixed(2)}x its time ` +
      `by best times, ${(single.medianMs / stringify.medianMs).toFixed(2)}x by medians, ` +
      `${(single.cpuMs / stringify.cpuMs).toFixed(2)}x its CPU time (target: at most 1.1x)`,
  )
  console.log(
    `replay --json peak RSS on the default threads: ${(json.rssKiB / 1024).toFixed(0)} MiB (target: under 256 MiB)\n`,
  )
}

compare('30% mix: 3 in 10 events provisioning failures (28.5% of the events alert)', third, {
  note: 'the headline is the next line, against parse + stringify',
})
compare('typical mix: 1 in 10 events a provisioning failure (1 in 12 records an alert)', file, {
  human: true,
  note: 'target: at least 50%',
})
compare(
  'alert-heavy stress mix: 8 in 10 events provisioning failures (3 in 4 records an alert, output 3x the input)',
  heavy,
  {note: 'writing 3x the bytes it parses'},
)

const [bare, version] = measure(
  [
    [node, '-e', ''],
    [node, 'bin/run.js', '--version'],
  ],
  Math.max(runs, 20),
)
console.log(
  `start-up: node -e '' ${bare.ms.toFixed(0)} ms (median ${bare.medianMs.toFixed(0)}), ` +
    `fa --version ${version.ms.toFixed(0)} ms (median ${version.medianMs.toFixed(0)}): ` +
    `${(version.ms / bare.ms).toFixed(1)}x by best times, ` +
    `${(version.medianMs / bare.medianMs).toFixed(1)}x by medians (target: at most 2x)`,
)
