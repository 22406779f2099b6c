import {setTimeout as sleep} from 'node:timers/promises'

import type {Admin} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {Unrecoverable} from '../errors.js'
import {connectAdmin, createKafka, disconnectQuietly} from '../kafka/client.js'
import {kafkaError} from '../kafka/connection.js'
import {repartitionSpecs} from '../kafka/repartition-topics.js'
import {requireTopics} from '../kafka/topics.js'
import {decoderFromConfig} from '../schema/decoder.js'
import type {Logger} from '../output/log.js'
import type {Topology} from '../pipeline/topology.js'
import {groupStatus} from './groups.js'
import type {StatusReport} from './report.js'
import {TablesAndCheckpoints} from './tables.js'

export interface StatusOptions {
  config: Config
  topology: Topology
  /** Producer names whose checkpoints to show. */
  producers: string[]
  log: Logger
  /** Refresh every this many ms until `signal` aborts; once without. */
  watchMs?: number
  signal: AbortSignal
  onReport(report: StatusReport): void
  env?: NodeJS.ProcessEnv
}

/**
 * `fa status`: the enrich and send groups (state, members, lag per partition, last commit), the
 * tables' rows and the producers' checkpoints; once, or every `watchMs` until the signal.
 */
export async function runStatus(options: StatusOptions): Promise<void> {
  const {config, topology, log, signal} = options
  const kafka = await createKafka(config, {log, clientIdSuffix: 'status', env: options.env})
  let admin: Admin | undefined
  let tables: TablesAndCheckpoints | undefined
  try {
    // Ctrl-C while the brokers do not answer ends it at once, not after the connection timeout.
    admin = await connectAdmin(kafka, config, signal).catch((error: unknown) => {
      if (signal.aborted) return undefined
      throw error
    })
    if (!admin) return
    const activeAdmin = admin
    // The enrich group reads its repartition topics too (where its stateful records wait), once enrich has made them.
    const existing = new Set(await activeAdmin.listTopics())
    const repartition = repartitionSpecs(topology, config.enrich.group)
      .map((spec) => spec.topic)
      .filter((topic) => existing.has(topic))
    const groups = [
      {group: config.enrich.group, role: 'enrich', topics: [...topology.sourceTopics, ...repartition]},
      {group: config.slack.group, role: 'send', topics: [config.topics.slackMessages]},
    ]
    await requireTopics(activeAdmin, config, [
      ...groups.flatMap((g) => g.topics),
      ...topology.tableTopics.map((t) => t.topic),
      config.topics.checkpoints,
    ])
    tables = new TablesAndCheckpoints({
      kafka,
      admin: activeAdmin,
      topology,
      checkpointsTopic: config.topics.checkpoints,
      producers: options.producers,
      log,
      decoder: decoderFromConfig(config, (role) => topology.topic(role), log, options.env),
      signal,
    })
    await tables.start(signal).catch((error) => {
      // Refused registry credentials say so themselves; they are no broker trouble.
      if (error instanceof Unrecoverable) throw error
      if (!signal.aborted) throw kafkaError(error, config, 'reading the tables')
    })
    const activeTables = tables
    while (!signal.aborted) {
      const report: StatusReport = {
        at: new Date().toISOString(),
        groups: await Promise.all(groups.map((g) => groupStatus(activeAdmin, g.group, g.role, g.topics))).catch(
          (error) => {
            throw kafkaError(error, config, 'reading the consumer groups')
          },
        ),
        tables: activeTables.tableStatus(),
        checkpoints: activeTables.checkpointStatus(),
      }
      options.onReport(report)
      if (options.watchMs === undefined) return
      await sleep(options.watchMs, undefined, {signal}).catch(() => undefined)
    }
  } finally {
    await tables?.stop()
    await disconnectQuietly(admin, 3_000)
  }
}
