import type {Admin} from 'kafkajs'
import {describe, expect, it} from 'vitest'

import {DrainTracker} from '../../../src/lib/kafka/drain.js'
import {DryRunCommitter, DryRunDeliverer, type DryRunItem} from '../../../src/lib/send/dry-run.js'
import type {RunCommitter} from '../../../src/lib/send/roles.js'
import {alertValue, batchOf, intakeOf, TOPIC} from './parts.js'

/** The real group has committed offset 5 of partition 0 and nothing of partition 1. */
const admin = {
  fetchOffsets: async ({groupId}: {groupId: string}) => [
    {
      topic: TOPIC,
      partitions:
        groupId === 'fa-send'
          ? [
              {partition: 0, offset: '5', metadata: null},
              {partition: 1, offset: '-1', metadata: null},
            ]
          : [],
    },
  ],
} as unknown as Admin

describe('send --dry-run pair', () => {
  it('shows every message and posts, records and commits nothing', async () => {
    const items: DryRunItem[] = []
    const committer: RunCommitter = new DryRunCommitter('fa-send', TOPIC, admin)
    const commits: unknown[] = []
    committer.attach({commitOffsets: async (offsets) => void commits.push(offsets)})
    const drain = new DrainTracker([{topic: TOPIC, partition: 0, from: 0, target: 7}])
    committer.watch(drain)
    const {intake, table, counts} = intakeOf({
      committer,
      drain,
      deliverer: (ledger, counts) => new DryRunDeliverer((item) => void items.push(item), ledger, counts),
    })
    table.markDelivered('a-2')
    // a-1 three times (a producer retried, an overlapping window): a real run posts it once.
    const values = [alertValue('a-1', 'C1'), alertValue('a-2', 'C1'), '{"alertId": "bad", oops']
    // An incident's update of a-1, twice: applied once, and not counted as a post.
    const update = JSON.stringify({...JSON.parse(alertValue('a-1', 'C1')), revision: 1})
    await intake.batch(batchOf([...values, alertValue('a-1', 'C1'), alertValue('a-1', 'C2'), update, update]))
    await intake.dispatch.idle()
    await new Promise((r) => setImmediate(r))

    expect(items.map((i) => `${i.action} ${i.alertId}`).sort()).toEqual([
      'dead-letter null',
      'post a-1',
      'skip a-1',
      'skip a-1',
      'skip a-1',
      'skip a-2',
      'update a-1',
    ])
    expect(counts).toMatchObject({
      read: 7,
      wouldPost: 1,
      wouldUpdate: 1,
      skipped: 4,
      invalid: 1,
      delivered: 0,
      deadLettered: 0,
    })
    // Nothing recorded or committed, yet the drain sees the run through.
    await committer.close(intake.states.values(), Date.now())
    expect(commits).toEqual([])
    expect(committer.writes).toEqual([])
    expect(drain.remaining).toBe(0)
  })

  it('an update of an alert never posted is dead-lettered, as a real run does, not counted as applied', async () => {
    const items: DryRunItem[] = []
    const committer = new DryRunCommitter('fa-send', TOPIC, admin)
    const {intake, table, counts} = intakeOf({
      committer,
      deliverer: (ledger, counts, table) => new DryRunDeliverer((item) => void items.push(item), ledger, counts, table),
    })
    table.markDelivered('a-2', {channel: 'D1', ts: '1.000'})
    const revision = (id: string, n: number) => JSON.stringify({...JSON.parse(alertValue(id, 'C1')), revision: n})
    // a-1's post is not on the topic (it expired, or came before the retention); a-2's was delivered earlier.
    await intake.batch(batchOf([revision('a-1', 1), revision('a-2', 1)]))
    await intake.dispatch.idle()
    await new Promise((r) => setImmediate(r))

    expect(items.map((i) => `${i.action} ${i.alertId}`)).toEqual(['dead-letter a-1', 'update a-2'])
    expect(items[0]).toMatchObject({reason: 'update 1 of an alert with no recorded post'})
    expect(counts).toMatchObject({read: 2, wouldPost: 0, wouldUpdate: 1, invalid: 1})
  })

  it('reads as a throwaway group from where the real group is', async () => {
    const committer = new DryRunCommitter('fa-send', TOPIC, admin)
    expect(committer.groupId).toMatch(/^fa-send-dry-run-[0-9a-f-]{36}$/)
    expect(await committer.startOffsets(new Set([0, 1]))).toEqual([{partition: 0, offset: 5}])
  })
})
