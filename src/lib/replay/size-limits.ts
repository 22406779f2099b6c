import type {Admin, Message} from 'kafkajs'

import {FaError} from '../errors.js'
import {loadKafkaJs} from '../kafka/client.js'
import type {PlannedTopic, ReplayPlan} from './produce.js'

/** A record batch's own bytes around its one record: what the broker counts against max.message.bytes too. */
export const BATCH_OVERHEAD = 61 + 21

/**
 * Every topic's largest record against its max.message.bytes (the broker's message.max.bytes
 * unless the topic sets its own), so an oversize record stops the replay with FILE:LINE before
 * anything is produced, not with a broker error halfway through. Returns each topic's limit
 * (none when it cannot be read): the producer keeps every record batch under it.
 */
export async function checkSizes(admin: Admin, plan: ReplayPlan): Promise<Map<string, number>> {
  const limits = new Map<string, number>()
  const byTarget = new Map<string, PlannedTopic['largest']>()
  for (const {target, largest} of plan.topics.values()) {
    const known = byTarget.get(target)
    if (!known || largest.bytes > known.bytes) byTarget.set(target, largest)
  }
  const {ConfigResourceTypes} = await loadKafkaJs()
  let resources: Awaited<ReturnType<Admin['describeConfigs']>>['resources']
  try {
    ;({resources} = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [...byTarget.keys()].map((name) => ({
        type: ConfigResourceTypes.TOPIC,
        name,
        configNames: ['max.message.bytes'],
      })),
    }))
  } catch {
    // Without DescribeConfigs permission the limit is unknown: the broker still enforces it.
    return limits
  }
  for (const {resourceName, configEntries} of resources) {
    const limit = Number(configEntries.find((entry) => entry.configName === 'max.message.bytes')?.configValue)
    if (Number.isFinite(limit)) limits.set(resourceName, limit)
    const largest = byTarget.get(resourceName)
    if (!largest || !Number.isFinite(limit) || largest.bytes + BATCH_OVERHEAD <= limit) continue
    throw new FaError(
      `${largest.where}: the record is about ${largest.bytes + BATCH_OVERHEAD} bytes, over ` +
        `${resourceName}'s limit of ${limit} bytes (max.message.bytes): nothing was produced`,
      {exit: 'input', hint: 'make the record smaller, or raise max.message.bytes on the topic'},
    )
  }
  return limits
}

/** A record's bytes as the broker counts them, about: value, key, headers and the record's own fields. */
export function messageBytes(message: Message): number {
  let bytes = 64
  if (message.value) bytes += message.value.length
  if (message.key) bytes += Buffer.byteLength(message.key)
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(String(value))
  return bytes
}
