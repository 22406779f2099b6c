import {createRequire} from 'node:module'

import type {PatchStatus} from './index.js'

/**
 * kafkajs 2.2.4 asks a group's committed offsets with OffsetFetch v4, which cannot ask for stable
 * ones (KIP-447's require_stable, v7). A transaction's offsets count only once its coordinator
 * has written the markers, after EndTxn returns: a member that takes over a partition right after
 * another committed a transaction would be told the offset from before it, and process those
 * records again (alerts and incident updates twice under --exactly-once). Where the broker
 * speaks v7, `Broker#offsetFetch` now asks with require_stable and, while the broker answers
 * UNSTABLE_OFFSET_COMMIT, asks again, as the Java client does. Older brokers keep kafkajs' request.
 */
const OFFSET_FETCH = 9
const VERSION = 7
const UNSTABLE_OFFSET_COMMIT = 88
/**
 * Past this, the retriable error goes up to kafkajs. Longer than fa's transaction timeout: a
 * crashed member's open transaction holds its offsets unstable until the coordinator aborts it.
 */
const STABLE_WITHIN_MS = 120_000

interface Topics {
  topic: string
  partitions: Array<{partition: number}>
}
interface PartitionOffset {
  partition: number
  offset: string
  metadata: string | null
  errorCode: number
}
interface OffsetFetchResult {
  throttleTime: number
  responses: Array<{topic: string; partitions: PartitionOffset[]}>
  errorCode: number
}

interface EncoderLike {
  writeInt8(value: number): EncoderLike
  writeInt16(value: number): EncoderLike
  writeInt32(value: number): EncoderLike
  writeUVarInt(value: number): EncoderLike
  writeBuffer(value: Buffer): EncoderLike
  writeBoolean(value: boolean): EncoderLike
}
interface DecoderLike {
  readInt16(): number
  readInt32(): number
  readInt64(): {toString(): string}
  readUVarInt(): number
  readUVarIntString(): string | null
  readUVarIntArray<T>(reader: (d: DecoderLike) => T): T[] | null
  readTaggedFields(): unknown
}
interface BrokerLike {
  versions: Record<number, {minVersion: number; maxVersion: number}> | null
  offsetFetch(request: {groupId: string; topics: Topics[] | null}): Promise<OffsetFetchResult>
}
type Send = (request: unknown) => Promise<OffsetFetchResult>

let installed: PatchStatus | undefined

export function installStableOffsets(): PatchStatus {
  installed ??= install()
  return installed
}

function install(): PatchStatus {
  try {
    const require = createRequire(import.meta.url)
    const {version} = require('kafkajs/package.json') as {version: string}
    if (version !== '2.2.4') return {active: false, reason: `kafkajs is ${version}, the patch is for 2.2.4`}
    const Broker = require('kafkajs/src/broker/index.js') as {prototype: BrokerLike}
    const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => EncoderLike
    const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => DecoderLike
    const {failure, createErrorFromCode} = require('kafkajs/src/protocol/error.js') as {
      failure(code: number): boolean
      createErrorFromCode(code: number): Error
    }
    const sendKey = Object.getOwnPropertySymbols(Broker.prototype).find(
      (s) => s.description === 'private:Broker:sendRequest',
    )
    const original = Broker.prototype.offsetFetch
    if (!sendKey || typeof original !== 'function')
      return {active: false, reason: 'kafkajs has no Broker#offsetFetch or private sendRequest'}

    const request = (groupId: string, topics: Topics[] | null) => ({
      apiKey: OFFSET_FETCH,
      apiVersion: VERSION,
      apiName: 'OffsetFetch',
      encode: async () => {
        // Flexible versions: kafkajs writes request header v1, so the body starts with header v2's empty tagged fields.
        const e = new Encoder().writeInt8(0)
        compactString(e, groupId)
        // No topics: all of the group's, as kafkajs' v3 and v4 send them (a null array).
        if (topics === null || topics.length === 0) e.writeUVarInt(0)
        else {
          e.writeUVarInt(topics.length + 1)
          for (const {topic, partitions} of topics) {
            compactString(e, topic)
            e.writeUVarInt(partitions.length + 1)
            for (const {partition} of partitions) e.writeInt32(partition)
            e.writeUVarInt(0)
          }
        }
        return e.writeBoolean(true).writeUVarInt(0)
      },
    })
    const decode = async (payload: Buffer): Promise<OffsetFetchResult> => {
      const d = new Decoder(payload)
      d.readTaggedFields() // response header v1
      const throttleTime = d.readInt32()
      const responses =
        d.readUVarIntArray((t) => {
          const topic = t.readUVarIntString() ?? ''
          const partitions =
            t.readUVarIntArray((p) => {
              const partition = p.readInt32()
              const offset = p.readInt64().toString()
              p.readInt32() // committed leader epoch
              const metadata = p.readUVarIntString()
              const errorCode = p.readInt16()
              p.readTaggedFields()
              return {partition, offset, metadata, errorCode}
            }) ?? []
          t.readTaggedFields()
          return {topic, partitions}
        }) ?? []
      const errorCode = d.readInt16()
      return {throttleTime: 0, clientSideThrottleTime: throttleTime, responses, errorCode} as OffsetFetchResult
    }
    // Errors as kafkajs' own response parser raises them; an unstable partition is answered again.
    const parse = async (data: OffsetFetchResult) => {
      if (failure(data.errorCode)) throw createErrorFromCode(data.errorCode)
      const failed = data.responses.flatMap((r) => r.partitions).find((p) => failure(p.errorCode))
      if (failed && failed.errorCode !== UNSTABLE_OFFSET_COMMIT) throw createErrorFromCode(failed.errorCode)
      return data
    }

    Broker.prototype.offsetFetch = async function (this: BrokerLike, args) {
      const range = this.versions?.[OFFSET_FETCH]
      if (!range || range.maxVersion < VERSION || range.minVersion > VERSION) return original.call(this, args)
      const send = (this as unknown as Record<symbol, Send>)[sendKey]!.bind(this)
      const until = Date.now() + STABLE_WITHIN_MS
      for (let waitMs = 10; ; waitMs = Math.min(2 * waitMs, 500)) {
        const data = await send({request: request(args.groupId, args.topics), response: {decode, parse}})
        const unstable = data.responses.some((r) => r.partitions.some((p) => p.errorCode === UNSTABLE_OFFSET_COMMIT))
        if (!unstable) return data
        if (Date.now() + waitMs > until) throw createErrorFromCode(UNSTABLE_OFFSET_COMMIT)
        await new Promise((resolve) => setTimeout(resolve, waitMs))
      }
    }
    return {active: true}
  } catch (error) {
    return {active: false, reason: `kafkajs' modules are not laid out as expected (${(error as Error).message})`}
  }
}

function compactString(e: EncoderLike, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  e.writeUVarInt(bytes.length + 1).writeBuffer(bytes)
}
