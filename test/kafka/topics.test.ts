// `fa topics create` says why the broker refused a topic, and warns when an existing topic
// differs from what was asked.
import {expect, inject, it} from 'vitest'

import {runFa} from '../support/cli.js'
import {prefixedConfig} from '../support/fa-process.js'
import {createTopics, testKafka} from '../support/kafka-io.js'

const brokers = inject('kafkaBrokers')
const kafka = testKafka(brokers)
const env = {KAFKA_BROKERS: brokers}

it("shows the broker's reason per topic when it refuses them", async () => {
  const cfg = prefixedConfig('topics-refused')
  const {code, stderr} = await runFa(['topics', 'create', '-c', cfg.file, '--replication-factor', '3'], {env})
  expect(code).toBe(5)
  expect(stderr).toMatch(
    /^Error: cannot create 12 topics: .+: replication factor 3 is more than the 1 broker of the cluster \(/,
  )
  expect(stderr).toContain(cfg.topics.notifications)
  expect(stderr.trimEnd().split('\n')).toHaveLength(1)
})

it('warns when an existing topic has other partitions or compaction than asked', async () => {
  const cfg = prefixedConfig('topics-differ')
  await createTopics(kafka, [
    {topic: cfg.topics.notifications, numPartitions: 1, replicationFactor: 1},
    {
      topic: cfg.topics.slackMessages,
      numPartitions: 3,
      replicationFactor: 1,
      configEntries: [{name: 'cleanup.policy', value: 'compact'}],
    },
  ])
  const {code, stdout, stderr} = await runFa(['topics', 'create', '-c', cfg.file, '--json'], {env})
  expect(code, stderr).toBe(0)
  const {warnings, created} = JSON.parse(stdout)
  // A repartition topic takes its source's partitions, whatever was asked.
  expect(created).toEqual(
    expect.arrayContaining([
      {
        topic: `${cfg.prefix}g-connector-provisioning-failed-repartition`,
        roles: ['repartition'],
        partitions: 1,
        replicationFactor: 1,
        cleanupPolicy: 'delete',
      },
      expect.objectContaining({topic: `${cfg.prefix}g-cluster-created-repartition`, partitions: 3}),
    ]),
  )
  expect(warnings).toEqual(
    expect.arrayContaining([
      `${cfg.topics.notifications} has 1 partition, not the 3 asked for (existing topics are left as they are)`,
      expect.stringMatching(
        new RegExp(`^${cfg.topics.slackMessages.replaceAll('.', '\\.')} \\(sink\\) has cleanup.policy=compact`),
      ),
    ]),
  )
})
