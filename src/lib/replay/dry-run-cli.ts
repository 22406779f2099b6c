import {open, writeFile} from 'node:fs/promises'
import {finished} from 'node:stream/promises'

import {closest} from 'fastest-levenshtein'

import {buildTopology} from '../alerts/topology.js'
import type {LoadedConfig} from '../config/load.js'
import {FaError} from '../errors.js'
import {colorFor} from '../output/color.js'
import {compareGolden, GoldenLines, writeGolden} from '../output/golden.js'
import {renderSummary} from '../output/human.js'
import {cannotWrite, checkWritable} from '../output/output-file.js'
import {plural} from '../output/plural.js'
import {fileProgress} from '../output/progress.js'
import {BufferedWriter} from '../output/writer.js'
import type {Topology} from '../pipeline/topology.js'
import {reportPage, type ReportEntry} from '../report/page.js'
import {replayDryRun, type FileCounts, type ReplayFormat} from './dry-run.js'
import {FIXED_FATES} from './explain.js'
import {topicAliases} from './topic-names.js'
import {idleFileNotes, unreadTopicNotes} from './unread.js'

export interface DryRunCliOptions {
  files: string[]
  loaded: LoadedConfig
  json: boolean
  expect?: string
  update: boolean
  workers?: number
  /** Every record's fate; `only` keeps those named. */
  explain: boolean
  only?: string[]
  /** Fates as JSON Lines to this file instead of stderr (with --json or --expect). */
  explainFile?: string
  /** Block Kit Builder links under each alert. */
  links: boolean
  /** Every table record before any event, as fa enrich loads them. */
  tablesFirst: boolean
  /** Writes the HTML report here. */
  html?: string
  /** How a file is named in warnings (standard input's temporary file as `stdin`). */
  nameOf?: (file: string) => string
}

/** `fa replay --dry-run`: runs the files, prints or compares what they produce, and says what went unread. Returns the exit code. */
export async function dryRunCli(options: DryRunCliOptions): Promise<number> {
  const {files, loaded, expect} = options
  if (options.html) await checkWritable(options.html, '--html')
  if (expect && options.update) await checkWritable(expect, '--expect')
  const topology = await buildTopology(loaded)
  const out = colorFor(process.stdout)
  const err = colorFor(process.stderr)
  const stdout = new BufferedWriter(process.stdout)
  const golden = new GoldenLines()
  // --json and --expect make JSON Lines of the records; the summary (and fates) then go to stderr.
  const toStderr = Boolean(options.json || expect)
  const only = options.only && checkFates(options.only, topology)
  const explainFile = options.explainFile ? await openOutput(options.explainFile, '--explain-file') : undefined
  // Fates are JSON Lines apart from the records with --json or --expect (on stderr) or in --explain-file,
  // whatever the records' form; else lines for people among the records on stdout.
  const fatesApart = toStderr || Boolean(explainFile)
  const explainSink = fatesApart ? new BufferedWriter(explainFile ?? process.stderr) : undefined
  const format: ReplayFormat = {
    ...(toStderr ? {kind: 'json'} : {kind: 'human', colorLevel: out.level}),
    ...(options.explain || only
      ? {explain: {only, ...(fatesApart ? {json: true} : {json: false, colorLevel: out.level})}}
      : {}),
    links: options.links,
    report: Boolean(options.html),
  }
  const reported = new GoldenLines()
  const fileCounts = new Map<string, FileCounts>()
  const progress = fileProgress('replay')
  const summary = await replayDryRun({
    files,
    topology,
    format,
    aliases: topicAliases(loaded.config.topics),
    tablesFirst: options.tablesFirst,
    out: expect ? golden : stdout,
    explainOut: explainSink,
    reportOut: reported,
    fileCounts,
    onProgress: progress.update,
    threads: {config: loaded, count: options.workers},
  }).finally(progress.stop)
  await stdout.flush()
  await explainSink?.flush()
  if (explainFile) {
    explainFile.end()
    await finished(explainFile)
  }

  const summaryText = renderSummary(summary, toStderr ? err : out)
  const unread = unreadTopicNotes(summary, topology, loaded.config.topics)
  const warnings = [...unread, ...idleFileNotes(files, fileCounts, options.nameOf)]
  const c = toStderr ? err : out
  const notes = warnings.map((note) => `${c.yellow('warning:')} ${note}\n`).join('')
  if (toStderr) process.stderr.write(summaryText + notes)
  else process.stdout.write(summaryText + notes)
  if (options.html) {
    const entries = reported.lines.map((line) => JSON.parse(line) as ReportEntry)
    await writeFile(options.html, reportPage({files, entries, summary, warnings})).catch((error: unknown) => {
      throw cannotWrite(options.html!, '--html', error)
    })
    process.stderr.write(`wrote the report to ${options.html}\n`)
  }

  if (!expect) return 0
  const idle = warnings.length > unread.length
  if (options.update) {
    await writeGolden(expect, golden.lines).catch((error: unknown) => {
      throw cannotWrite(expect, '--expect', error)
    })
    process.stderr.write(`wrote ${plural(golden.lines.length, 'record')} to ${expect}\n`)
    return idle ? 1 : 0
  }
  const result = await compareGolden(expect, golden.lines, err)
  if (result.ok && !idle) {
    process.stderr.write(`${err.green('✓')} ${plural(golden.lines.length, 'record')} match ${expect}\n`)
    return 0
  }
  if (result.ok) {
    process.stderr.write(`${err.red('✗')} a fixture file gave the test nothing to check (see the warnings above)\n`)
    return 1
  }
  const kinds = [
    result.missing && `${result.missing} missing`,
    result.unexpected && `${result.unexpected} unexpected`,
    result.changed && `${result.changed} changed`,
  ].filter(Boolean)
  process.stderr.write(
    `${result.diff}\n${err.red('✗')} ${plural(result.differences, 'record')} ` +
      `${result.differences === 1 ? 'differs' : 'differ'} from ${expect} (${kinds.join(', ')}); ` +
      `run with --update to accept\n`,
  )
  return 1
}

/** The fates `--only` names, each one a fate this run can have: a misspelt one would show nothing. */
function checkFates(only: string[], topology: Topology): string[] {
  const known = new Set<string>([...FIXED_FATES, ...topology.alertTypes.flatMap((alert) => alert.dropReasons ?? [])])
  for (const fate of only) {
    if (known.has(fate)) continue
    const near = closest(fate, [...known])
    throw new FaError(`--only ${fate}: no such fate; did you mean ${near}?`, {
      exit: 'usage',
      hint: `fates: ${[...known].join(', ')}`,
    })
  }
  return only
}

/** The --explain-file stream, opened before the run so that a bad path fails at once. */
async function openOutput(file: string, flag: string) {
  await checkWritable(file, flag)
  const handle = await open(file, 'w').catch((error: unknown) => {
    throw cannotWrite(file, flag, error)
  })
  return handle.createWriteStream()
}
