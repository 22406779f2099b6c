import type {Admin, Kafka} from 'kafkajs'

import type {Config} from '../config/schema.js'
import {FaError} from '../errors.js'
import {brokerVersion} from '../kafka/broker-version.js'
import {quickKafka} from '../kafka/check.js'
import {disconnectQuietly} from '../kafka/client.js'
import {describeTopics, type TopicSpec} from '../kafka/topics.js'
import {fail, pass, runCheck, skip, type CheckResult, type Verdict} from './check.js'

const BROKER_HINT = 'check kafka.brokers / KAFKA_BROKERS, TLS (kafka.ssl) and that this machine can reach them'

/**
 * The Kafka lines of `fa doctor`: the brokers (reachable, authenticated, their version), every
 * topic the pipelines use (exists, partitions, compaction for tables), and the consumer groups'
 * state. Each within `timeoutMs`; topics and groups are skipped when the brokers are not reachable.
 */
export async function kafkaChecks(
  config: Config,
  topics: TopicSpec[],
  groups: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<CheckResult[]> {
  let kafka: Kafka | undefined
  let admin: Admin | undefined
  try {
    const brokers = await runCheck(
      'kafka',
      timeoutMs,
      async () => {
        kafka = await quickKafka(config, env)
        const connecting = kafka.admin()
        admin = connecting
        await connecting.connect().catch((error) => {
          throw explain(error, config)
        })
        const [cluster, version] = await Promise.all([
          connecting.describeCluster(),
          brokerVersion(kafka, Math.max(1_000, timeoutMs - 1_000)),
        ])
        const auth = config.kafka.sasl ? `SASL ${config.kafka.sasl.mechanism} ok` : 'no authentication'
        return pass(
          `${config.kafka.brokers.join(',')}: ${cluster.brokers.length} broker(s), cluster ${cluster.clusterId}, ` +
            `${version ?? 'version unknown'}, ${auth}${config.kafka.ssl ? ', TLS' : ''}`,
        )
      },
      {what: config.kafka.brokers.join(','), fix: BROKER_HINT},
    )
    if (brokers[0]!.status !== 'pass' || !admin) {
      return [
        ...brokers,
        {name: 'topics', status: 'skip', detail: 'Kafka is not reachable', ms: 0},
        {name: 'groups', status: 'skip', detail: 'Kafka is not reachable', ms: 0},
      ]
    }
    const connected = admin
    const topicLines = await runCheck('topics', timeoutMs, () => topicChecks(connected, config, topics))
    const groupLines = await runCheck('groups', timeoutMs, () => groupChecks(connected, groups))
    return [...brokers, ...topicLines, ...groupLines]
  } finally {
    await disconnectQuietly(admin, 2_000)
  }
}

async function topicChecks(admin: Admin, config: Config, specs: TopicSpec[]): Promise<Verdict[]> {
  const existing = new Set(await admin.listTopics())
  const described = await describeTopics(
    admin,
    specs.filter((s) => existing.has(s.topic)).map((s) => s.topic),
  )
  const expected = config.kafka.partitions
  return specs.map((spec): Verdict => {
    const name = `topic ${spec.topic}`
    const roles = spec.roles.join(', ')
    const info = described.get(spec.topic)
    if (!info && spec.partitionsOf)
      return {...skip(`not created yet (${roles}): fa enrich creates it at start, or \`fa topics create\``), name}
    if (!info) return {...fail(`missing (${roles})`, 'create it: `fa topics create`'), name}
    const policy = info.cleanupPolicy.split(',')
    const problems: string[] = []
    const fixes: string[] = []
    const source = spec.partitionsOf && described.get(spec.partitionsOf)
    if (source && info.partitions !== source.partitions) {
      problems.push(`${info.partitions} partitions, its source ${spec.partitionsOf} has ${source.partitions}`)
      fixes.push('delete it while no fa enrich of the group runs and nothing is left in it: fa enrich creates it anew')
    } else if (!spec.partitionsOf && info.partitions !== expected) {
      problems.push(`${info.partitions} partitions, kafka.partitions says ${expected}`)
      fixes.push(`set kafka.partitions: ${info.partitions} in the config, or recreate the topic`)
    }
    if (spec.compacted && !policy.includes('compact')) {
      problems.push(`cleanup.policy=${info.cleanupPolicy}, should be compact`)
      fixes.push(
        `kafka-configs --alter --entity-type topics --entity-name ${spec.topic} --add-config cleanup.policy=compact`,
      )
    }
    const what =
      `${info.partitions} partitions, replication ${info.replicationFactor}, ` +
      `cleanup.policy=${info.cleanupPolicy} (${roles})`
    return {...(problems.length ? fail(problems.join('; '), fixes.join('; ')) : pass(what)), name}
  })
}

async function groupChecks(admin: Admin, groups: string[]): Promise<Verdict[]> {
  const {groups: described} = await admin.describeGroups(groups)
  return groups.map((group): Verdict => {
    const name = `group ${group}`
    const info = described.find((g) => g.groupId === group)
    if (!info || info.state === 'Dead') return {...skip('not started yet (no members, no committed offsets)'), name}
    return {...pass(`${info.state}, ${info.members.length} member(s)`), name}
  })
}

/** Authentication failures get their own fix; everything else names the brokers. */
function explain(error: unknown, config: Config): FaError {
  const message = error instanceof Error ? error.message : String(error)
  if (/SASL|authentic/i.test(message))
    return new FaError(`authentication failed: ${message}`, {
      hint:
        `check ${config.kafka.sasl?.usernameEnv ?? 'KAFKA_API_KEY'} / ` +
        `${config.kafka.sasl?.passwordEnv ?? 'KAFKA_API_SECRET'} and kafka.sasl.mechanism`,
    })
  return new FaError(`cannot connect to ${config.kafka.brokers.join(',')}: ${message}`, {hint: BROKER_HINT})
}
