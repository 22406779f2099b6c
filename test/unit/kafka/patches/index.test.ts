// fa's patches of kafkajs 2.2.4 take hold of the kafkajs that is installed (no broker needed).
import {createRequire} from 'node:module'
import {readFileSync} from 'node:fs'

import {describe, expect, it} from 'vitest'

import {guardCommits, unguardCommits} from '../../../../src/lib/kafka/patches/commit-guard.js'
import {crc32c} from '../../../../src/lib/kafka/patches/crc32c.js'
import {installKafkajsPatches} from '../../../../src/lib/kafka/patches/index.js'
import {murmur2} from '../../../../src/lib/kafka/patches/murmur2.js'
import {beforeRevoke} from '../../../../src/lib/kafka/patches/revoke-hook.js'

const require = createRequire(import.meta.url)
// Before anything loads kafkajs: the speed-up only applies then.
const report = installKafkajsPatches()

describe('kafkajs patches', () => {
  it('are for the kafkajs that package.json pins exactly', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>
    }
    expect(pkg.dependencies.kafkajs).toBe('2.2.4')
    expect((require('kafkajs/package.json') as {version: string}).version).toBe('2.2.4')
  })

  it("the speed-up replaces kafkajs' own modules", () => {
    expect(report.speedUp).toEqual({active: true})
    expect(require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js')).toBe(crc32c)
    expect(require('kafkajs/src/producer/partitioners/default/murmur2.js')).toBe(murmur2)
    // kafkajs loaded after it encodes with the pooled Encoder.
    require('kafkajs')
    const Encoder = require('kafkajs/src/protocol/encoder.js') as {prototype: object}
    expect(Object.hasOwn(Encoder.prototype, 'ensureAvailable')).toBe(true)
  })

  it('the commit guard runs before EndTxn(commit) and turns a refused commit into an abort', async () => {
    expect(report.commitGuard).toEqual({active: true})
    const Broker = require('kafkajs/src/broker/index.js') as {
      prototype: {endTxn(args: {transactionalId: string; transactionResult: boolean}): Promise<unknown>}
    }
    const sendRequest = Object.getOwnPropertySymbols(Broker.prototype).find((s) => String(s).includes('sendRequest'))!
    const sent: boolean[] = []
    const broker = Object.assign(Object.create(Broker.prototype) as typeof Broker.prototype, {
      lookupRequest: () => (request: {transactionResult: boolean}) => request,
      [sendRequest]: async (request: {transactionResult: boolean}) => sent.push(request.transactionResult),
    })
    let allow = false
    guardCommits('t-1', async () => {
      if (!allow) throw new Error('expelled')
    })
    try {
      await expect(broker.endTxn({transactionalId: 't-1', transactionResult: true})).rejects.toThrow('expelled')
      allow = true
      await broker.endTxn({transactionalId: 't-1', transactionResult: true})
      await broker.endTxn({transactionalId: 'other', transactionResult: true})
    } finally {
      unguardCommits('t-1')
    }
    expect(sent).toEqual([false, true, true])
  })

  it('ListOffsets is asked again, after a metadata refresh, while the partition has no leader yet', async () => {
    expect(report.offsetsRetry).toEqual({active: true})
    const Cluster = require('kafkajs/src/cluster/index.js') as {
      prototype: {fetchTopicsOffset(topics: unknown[]): Promise<unknown>}
    }
    const answers = ['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE', undefined, 'UNKNOWN_SERVER_ERROR']
    const events: string[] = []
    const cluster = Object.assign(Object.create(Cluster.prototype) as typeof Cluster.prototype, {
      findLeaderForPartitions: () => ({0: [0]}),
      defaultOffset: () => -1,
      refreshMetadata: async () => events.push('refresh'),
      findBroker: async () => ({
        listOffsets: async () => {
          const type = answers.shift()
          events.push(type ?? 'ok')
          if (type) throw Object.assign(new Error(type), {type})
          return {responses: [{topic: 't', partitions: [{partition: 0, offset: '5'}]}]}
        },
      }),
    })
    const ask = () => cluster.fetchTopicsOffset([{topic: 't', partitions: [{partition: 0}], fromBeginning: false}])
    expect(await ask()).toEqual([{topic: 't', partitions: [{partition: 0, offset: '5'}]}])
    expect(events).toEqual(['NOT_LEADER_FOR_PARTITION', 'refresh', 'LEADER_NOT_AVAILABLE', 'refresh', 'ok'])
    // Any other error is kafkajs' to handle, as before.
    await expect(ask()).rejects.toThrow('UNKNOWN_SERVER_ERROR')
  })

  it('OffsetFetch asks v7 with require_stable, and again while a partition is unstable', async () => {
    expect(report.stableOffsets).toEqual({active: true})
    const Broker = require('kafkajs/src/broker/index.js') as {prototype: object}
    const send = Object.getOwnPropertySymbols(Broker.prototype).find(
      (s) => s.description === 'private:Broker:sendRequest',
    )!
    /** A v7 response: header tags, throttle, topic "t" partition 0 at `offset` with `errorCode`, group error 0. */
    const answer = (offset: number, errorCode: number) => {
      const b = Buffer.alloc(33)
      let at = b.writeUInt8(0, 0)
      at = b.writeInt32BE(0, at)
      at = b.writeUInt8(2, at)
      at = b.writeUInt8(2, at)
      at += b.write('t', at)
      at = b.writeUInt8(2, at)
      at = b.writeInt32BE(0, at)
      at = b.writeBigInt64BE(BigInt(offset), at)
      at = b.writeInt32BE(-1, at)
      at = b.writeUInt8(0, at)
      at = b.writeInt16BE(errorCode, at)
      at = b.writeUInt8(0, at)
      at = b.writeUInt8(0, at)
      at = b.writeInt16BE(0, at)
      b.writeUInt8(0, at)
      return b
    }
    const answers = [answer(3, 88), answer(3, 88), answer(7, 0)]
    const bodies: Buffer[] = []
    const broker = Object.assign(Object.create(Broker.prototype) as object, {
      versions: {9: {minVersion: 1, maxVersion: 9}},
      [send]: async ({
        request,
        response,
      }: {
        request: {apiVersion: number; encode(): Promise<{buffer: Buffer}>}
        response: {decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown>}
      }) => {
        expect(request.apiVersion).toBe(7)
        bodies.push((await request.encode()).buffer)
        return response.parse(await response.decode(answers.shift()!))
      },
    }) as unknown as {offsetFetch(args: {groupId: string; topics: unknown[]}): Promise<{responses: unknown}>}
    const result = await broker.offsetFetch({groupId: 'g', topics: [{topic: 't', partitions: [{partition: 0}]}]})
    expect(result.responses).toEqual([
      {topic: 't', partitions: [{partition: 0, offset: '7', metadata: null, errorCode: 0}]},
    ])
    expect(bodies).toHaveLength(3)
    // Header tags, group "g", one topic "t" with partition 0, require_stable, tags.
    expect([...bodies[0]!]).toEqual([0, 2, 0x67, 2, 2, 0x74, 2, 0, 0, 0, 0, 0, 1, 0])
    // No topics: all of the group's (a null array, as kafkajs' own request sends them).
    answers.push(answer(7, 0))
    await broker.offsetFetch({groupId: 'g', topics: []})
    expect([...bodies[3]!]).toEqual([0, 2, 0x67, 0, 1, 0])
  })

  it('the revoke hook runs before a member rejoins or leaves, and only for its member', async () => {
    expect(report.revokeHook).toEqual({active: true})
    const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup.js') as {
      prototype: {joinAndSync(): Promise<unknown>; leave(): Promise<unknown>}
    }
    const order: string[] = []
    const group = (memberId: string | null) =>
      Object.assign(Object.create(ConsumerGroup.prototype) as typeof ConsumerGroup.prototype, {
        memberId,
        // What the originals call first: reached only after the hook.
        retrier: async () => order.push(`join ${memberId}`),
        coordinator: {leaveGroup: async () => order.push(`leave ${memberId}`)},
        groupId: 'g',
      })
    const unhook = beforeRevoke('m-1', async () => {
      order.push('hook')
      throw new Error('commit failed') // reported by the hook's owner; the group change goes on
    })
    await group('m-1').joinAndSync()
    await group('m-2').joinAndSync()
    await group('m-1').leave()
    unhook()
    await group('m-1').leave()
    expect(order).toEqual(['hook', 'join m-1', 'join m-2', 'hook', 'leave m-1', 'leave m-1'])
  })
})
