import {createRequire} from 'node:module'

import type {PatchStatus} from './index.js'
import {crc32c} from './crc32c.js'
import {fastEncoder, type EncoderClass} from './encoder.js'
import {murmur2} from './murmur2.js'
import {groupMessagesPerPartition, partitionerFactory} from './partitioner.js'
import {fastRecordDecoder, type RecordDecoder} from './record-decoder.js'
import {fastRecord, fastRecordBatch, type BatchArgs, type RecordArgs} from './records.js'

/**
 * kafkajs 2.2.4 spends most of a producer's CPU time allocating zero-filled buffers: every
 * record and every header gets a `new Encoder()` with `Buffer.alloc(512)` (a fresh ArrayBuffer
 * each, outside Node's buffer pool), grown by more zero-filled copies, then copied three more
 * times into the batch; and it computes CRC32C a byte at a time.
 *
 * `speedUpKafkaJs()` swaps in, before kafkajs loads:
 * - an Encoder that allocates with `Buffer.allocUnsafe` (pooled; an encoder only ever exposes
 *   the bytes it wrote, so no uninitialised memory reaches the wire);
 * - a record encoder that only measures the record, and an uncompressed record batch encoder
 *   that writes every record straight into one buffer of the exact size;
 * - a slicing-by-8 CRC32C;
 * - murmur2 on 32-bit integers (kafkajs runs it on BigInt-backed Longs: the same partitions, as
 *   the Java client's, at a fraction of the cost), a partitioner that does not copy the partition
 *   list per message, and a linear (not quadratic) grouping of messages per partition.
 * The bytes on the wire are the same (the broker checks every batch's CRC; test/kafka covers
 * keys, values, headers, timestamps and tombstones). Compressed batches keep kafkajs' own code.
 * It applies only to kafkajs 2.2.4 and only if kafkajs is not loaded yet; otherwise kafkajs
 * runs unchanged.
 */
export function speedUpKafkaJs(): PatchStatus {
  applied ??= apply()
  return applied
}

let applied: PatchStatus | undefined

function apply(): PatchStatus {
  try {
    const require = createRequire(import.meta.url)
    const {version} = require('kafkajs/package.json') as {version: string}
    if (version !== '2.2.4') return {active: false, reason: `kafkajs is ${version}, the patch is for 2.2.4`}
    // Too late once kafkajs is loaded: its modules hold the originals.
    if (require.cache[require.resolve('kafkajs')]) return {active: false, reason: 'kafkajs was loaded before it'}
    const encoderPath = require.resolve('kafkajs/src/protocol/encoder.js')
    const crcPath = require.resolve('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js')
    const recordPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js')
    const batchPath = require.resolve('kafkajs/src/protocol/recordBatch/v0/index.js')
    const longPath = require.resolve('kafkajs/src/utils/long.js')
    const Original = require(encoderPath) as EncoderClass
    require(crcPath)
    require.cache[encoderPath]!.exports = fastEncoder(Original)
    require.cache[crcPath]!.exports = crc32c
    // Loaded after the swaps, so their own requires see the fast Encoder and CRC.
    const originalRecord = require(recordPath) as (args: RecordArgs) => unknown
    const batchModule = require(batchPath) as {RecordBatch: (args: BatchArgs) => Promise<unknown>}
    const Long = require(longPath) as {fromValue(value: unknown): {value: bigint}}
    require.cache[recordPath]!.exports = fastRecord(originalRecord)
    batchModule.RecordBatch = fastRecordBatch(batchModule.RecordBatch, Original.prototype, Long)
    const murmurPath = require.resolve('kafkajs/src/producer/partitioners/default/murmur2.js')
    const partitionerPath = require.resolve('kafkajs/src/producer/partitioners/legacy/partitioner.js')
    const groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition.js')
    const randomBytes = require(require.resolve('kafkajs/src/producer/partitioners/legacy/randomBytes.js')) as (
      size: number,
    ) => Buffer
    require(murmurPath)
    require(partitionerPath)
    require(groupPath)
    require.cache[murmurPath]!.exports = murmur2
    require.cache[partitionerPath]!.exports = partitionerFactory(randomBytes)
    require.cache[groupPath]!.exports = groupMessagesPerPartition
    const recordDecoderPath = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js')
    // Loaded first: the assignment's left side is evaluated before its right side.
    const originalDecoder = require(recordDecoderPath) as RecordDecoder
    require.cache[recordDecoderPath]!.exports = fastRecordDecoder(originalDecoder)
    return {active: true}
  } catch (error) {
    // Layout not as expected: leave kafkajs alone.
    return {active: false, reason: `kafkajs' modules are not laid out as expected (${(error as Error).message})`}
  }
}
