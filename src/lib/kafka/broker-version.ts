import type {Kafka} from 'kafkajs'

import {withTimeout} from './client.js'
import {internalCluster} from './internal-cluster.js'

type ApiVersions = Record<number, {minVersion: number; maxVersion: number}>

interface InternalCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  brokerPool?: {seedBroker?: {versions?: ApiVersions}}
}

const FETCH = 1

/**
 * What the broker says of its protocol (ApiVersions), as a version a person recognises. Kafka
 * has no request that names its release; its API ranges tell the generation: 4.0 dropped Fetch
 * below v4. kafkajs keeps the answer on its internal cluster (kafkajs is pinned, see patches/),
 * reached through the Kafka object's private factory; if that is not there, undefined.
 */
export async function brokerVersion(kafka: Kafka, timeoutMs: number): Promise<string | undefined> {
  const cluster = internalCluster<InternalCluster>(kafka)
  if (!cluster) return undefined
  try {
    const connected = await withTimeout(
      cluster.connect().then(() => true),
      timeoutMs,
    )
    const fetch = connected ? cluster.brokerPool?.seedBroker?.versions?.[FETCH] : undefined
    if (!fetch) return undefined
    const generation = fetch.minVersion >= 4 ? 'Kafka 4.x or later' : 'Kafka 3.x or earlier'
    return `${generation} (Fetch v${fetch.minVersion}–${fetch.maxVersion})`
  } catch {
    return undefined
  } finally {
    await withTimeout(
      cluster.disconnect().catch(() => {}),
      2_000,
    )
  }
}
