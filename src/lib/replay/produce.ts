import type {Message, Producer, TopicMessages} from 'kafkajs'

import {roleOf, type Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {readFixtures, type FixtureProgress} from '../fixtures/read.js'
import {connectAdmin, createKafka, createProducer, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {toKafka} from '../kafka/codec.js'
import {requireTopics} from '../kafka/topics.js'
import type {Logger} from '../output/log.js'
import {plural} from '../output/plural.js'
import {describeOrigin} from '../records/record.js'
import {nearestTopic} from './topic-names.js'
import {produceError} from './produce-errors.js'
import {BATCH_OVERHEAD, checkSizes, messageBytes} from './size-limits.js'
import type {TableOrderWatch} from './table-order.js'
import {encoderFromConfig} from '../schema/encoder.js'
import {checkFixturesFit, encodedMessage} from '../schema/fixtures.js'

/**
 * Where fixture topics go: an explicit mapping (`--topic from=to`) wins and is taken as is;
 * every other topic gets the prefix (`--topic-prefix`), if any.
 */
export interface TopicRouting {
  prefix?: string
  map?: Record<string, string>
  /** Other names fixtures may give topics (logical roles, renamed defaults): see topicAliases. */
  aliases?: ReadonlyMap<string, string>
}

/** Parses repeated `--topic from=to` flags; rejects malformed and conflicting entries. */
export function parseTopicMappings(entries: readonly string[] | undefined): Record<string, string> {
  const map: Record<string, string> = {}
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=')
    const from = entry.slice(0, eq).trim()
    const to = entry.slice(eq + 1).trim()
    if (eq < 0 || !from || !to) {
      throw new FaError(`--topic ${entry}: expected FROM=TO`, {
        hint: 'e.g. --topic data-notifications-pipeline=staging-notifications',
      })
    }
    if (map[from] !== undefined && map[from] !== to)
      throw new FaError(`--topic ${from} is mapped twice (${map[from]} and ${to})`)
    map[from] = to
  }
  return map
}

/** The topic a fixture topic goes to: mapped as written, else read through the config, then mapped or prefixed. */
export function routeTopic(topic: string, routing: TopicRouting): string {
  const explicit = routing.map?.[topic]
  if (explicit !== undefined) return explicit
  const named = routing.aliases?.get(topic) ?? topic
  return routing.map?.[named] ?? `${routing.prefix ?? ''}${named}`
}

/** Mapped by --topic, as written or as the config names it. */
function isMapped(topic: string, routing: TopicRouting): boolean {
  return routing.map?.[topic] !== undefined || routing.map?.[routing.aliases?.get(topic) ?? topic] !== undefined
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/

export interface ReplayPlan {
  records: number
  /** Source topic → {target topic, records, its largest record}, in order of first appearance. */
  topics: Map<string, PlannedTopic>
}

export interface PlannedTopic {
  target: string
  records: number
  /** The largest record's size as produced (about), and where it is: checked against the broker's limit. */
  largest: {bytes: number; where: string}
}

/**
 * The first pass: reads every file to the end, so a bad line (FixtureError FILE:LINE) or an
 * illegal target topic name stops the replay before anything is produced. Constant memory:
 * it keeps counts, not records.
 */
export async function planReplay(
  files: string[],
  routing: TopicRouting,
  onProgress?: (p: FixtureProgress) => void,
  /** The topics the config and the alert types know: any other must be mapped with --topic. */
  known?: ReadonlySet<string>,
  /** Sees every record (topic as the config names it), in file order. */
  watch?: TableOrderWatch,
): Promise<ReplayPlan> {
  const topics = new Map<string, PlannedTopic>()
  let records = 0
  // Topics as written: --topic names them so, before the config's names apply.
  for await (const batch of readFixtures(files, onProgress)) {
    for (const record of batch) {
      records++
      watch?.observe({...record, topic: routing.aliases?.get(record.topic) ?? record.topic})
      const bytes = messageBytes(toKafka(record))
      const entry = topics.get(record.topic)
      if (!entry) {
        const where = describeOrigin(record)
        topics.set(record.topic, {target: routeTopic(record.topic, routing), records: 1, largest: {bytes, where}})
      } else {
        entry.records++
        if (bytes > entry.largest.bytes) entry.largest = {bytes, where: describeOrigin(record)}
      }
    }
  }
  const unused = Object.keys(routing.map ?? {}).filter(
    (from) => ![...topics.keys()].some((topic) => topic === from || routing.aliases?.get(topic) === from),
  )
  if (unused.length > 0) {
    // A typo in a mapping would send the records to the unmapped (maybe production) topic.
    throw new FaError(`--topic ${unused.join(', ')}: no record in the files has this topic`, {
      hint: `the files' topics are ${[...topics.keys()].join(', ') || '(none)'}`,
    })
  }
  // After the mappings: a mistyped one is the reason its topic is unknown.
  if (known) checkKnown(topics, routing, known)
  for (const {target} of topics.values()) {
    if (!LEGAL_TOPIC.test(target) || target === '.' || target === '..') {
      throw new FaError(`"${target}" is not a legal Kafka topic name`, {
        hint: 'topic names use letters, digits, ".", "_" and "-", at most 249 characters',
      })
    }
  }
  return {records, topics}
}

/** Topics no one knows are an error per topic (with counts), unless --topic maps them: else they would be created or land nowhere useful. */
function checkKnown(topics: Map<string, PlannedTopic>, routing: TopicRouting, known: ReadonlySet<string>): void {
  const unknown = [...topics].filter(
    ([topic]) => !isMapped(topic, routing) && !known.has(routing.aliases?.get(topic) ?? topic),
  )
  if (unknown.length === 0) return
  const names = [...known, ...(routing.aliases?.keys() ?? [])]
  const listed = unknown.map(([topic, {records}]) => {
    const near = nearestTopic(topic, names)
    const hint = near ? ` (did you mean ${near}?)` : ''
    return `${topic} (${plural(records, 'record')})${hint}`
  })
  throw new FaError(
    `neither the config nor the alert types know topic${unknown.length === 1 ? '' : 's'} ` +
      `${listed.join(', ')}: nothing was produced`,
    {exit: 'input', hint: `map each with --topic FROM=TO, or fix the fixture's topic`},
  )
}

export interface ProduceOptions {
  files: string[]
  config: Config
  routing: TopicRouting
  plan: ReplayPlan
  /** `keep` (default): each record's own timestamp; `now`: the time of producing, for every record. */
  timestamps?: 'keep' | 'now'
  /** Records per sendBatch (default 5000). */
  batchRecords?: number
  /**
   * Approximate bytes per sendBatch (default 900 KiB: under the brokers' 1 MB record batch limit
   * even if all go to one partition).
   */
  batchBytes?: number
  onProgress?: (p: FixtureProgress & {produced: number}) => void
  /** Where kafkajs' warnings go (default: nowhere; a failure that stays is thrown anyway). */
  log?: Logger
}

export interface ProduceResult {
  records: number
  /** Target topic → records produced. */
  topics: Record<string, number>
  batches: number
  ms: number
}

/**
 * The second pass: produces every record, in file order, with its key, headers, timestamp and
 * tombstone. One idempotent producer (acks all, one request in flight, each batch awaited
 * before the next) keeps per-partition order; keys are partitioned by murmur2 like Java clients.
 * Memory is one batch, whatever the size of the files.
 */
export async function produceFixtures(options: ProduceOptions): Promise<ProduceResult> {
  const {config, routing, plan} = options
  const maxRecords = options.batchRecords ?? 5000
  const maxBytes = options.batchBytes ?? 900 << 10
  const kafka = await createKafka(config, {log: options.log, clientIdSuffix: 'replay'})
  const targets = [...new Set([...plan.topics.values()].map((t) => t.target))]
  const started = Date.now()

  const admin = await connectAdmin(kafka, config)
  let limits: Map<string, number>
  try {
    await requireTopics(admin, config, targets, 'nothing was produced')
    limits = await checkSizes(admin, plan)
  } finally {
    await disconnectQuietly(admin)
  }
  // Schema Registry topics: every value is encoded (and so checked) once before anything is produced.
  const encoder = await encoderFromConfig(
    config,
    [...plan.topics].map(([source, {target}]) => ({
      topic: target,
      role: roleOf(config.topics, routing.aliases?.get(source) ?? source),
    })),
  )
  const route = (topic: string) => routeTopic(topic, routing)
  if (encoder?.encodesAnything) await checkFixturesFit(options.files, route, encoder)

  // Murmur2 partitions like the Java client; never creates topics by accident.
  const producer: Producer = await createProducer(kafka, {idempotent: true, maxInFlightRequests: 1})
  const counts: Record<string, number> = Object.fromEntries(targets.map((t) => [t, 0]))
  let produced = 0
  let batches = 0
  let pending: Array<{topic: string; message: Message}> = []
  let pendingBytes = 0
  // A topic's records of one sendBatch can all land in one partition's record batch, which the
  // broker measures against the topic's max.message.bytes: each record fits (checkSizes), and so must their sum.
  const topicBytes = new Map<string, number>()
  const budgetOf = (topic: string) => Math.min(maxBytes, (limits.get(topic) ?? Infinity) - BATCH_OVERHEAD)

  const flush = async () => {
    if (pending.length === 0) return
    // One entry per topic with its messages in file order: kafkajs keeps that order within each
    // partition's record batch, and each batch is acknowledged before the next one is sent.
    const byTopic = new Map<string, Message[]>()
    for (const {topic, message} of pending) {
      const messages = byTopic.get(topic)
      if (messages) messages.push(message)
      else byTopic.set(topic, [message])
    }
    const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({topic, messages}))
    try {
      await producer.sendBatch({topicMessages, acks: -1})
    } catch (error) {
      throw produceError(error, config, `after ${produced} of ${plan.records} records`)
    }
    for (const {topic} of pending) counts[topic] = (counts[topic] ?? 0) + 1
    produced += pending.length
    batches++
    pending = []
    pendingBytes = 0
    topicBytes.clear()
  }

  try {
    try {
      await producer.connect()
    } catch (error) {
      throw kafkaError(error, config, 'connecting the producer')
    }
    for await (const batch of readFixtures(options.files, (p) => options.onProgress?.({...p, produced}))) {
      for (const record of batch) {
        const topic = route(record.topic)
        const message = encoder ? encodedMessage(record, topic, encoder) : toKafka(record)
        if (options.timestamps === 'now') delete message.timestamp
        const bytes = messageBytes(message)
        const onTopic = topicBytes.get(topic) ?? 0
        if (onTopic > 0 && onTopic + bytes > budgetOf(topic)) await flush()
        pending.push({topic, message})
        pendingBytes += bytes
        topicBytes.set(topic, (topicBytes.get(topic) ?? 0) + bytes)
        if (pending.length >= maxRecords || pendingBytes >= maxBytes) await flush()
      }
    }
    await flush()
  } finally {
    await disconnectQuietly(producer)
  }
  return {records: produced, topics: counts, batches, ms: Date.now() - started}
}
