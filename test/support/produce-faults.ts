// Fails one produce request of the producers a block of code makes: how the tests make a broker
// refuse a write at a chosen point, without stopping it.
import {Kafka, KafkaJSError, type ProducerBatch, type ProducerConfig, type Transaction} from 'kafkajs'

type SendBatch = (batch: ProducerBatch) => Promise<unknown>

/**
 * Runs `run` while the `nth` produce request to `topic` fails: of non-transactional producers,
 * or with `transactional`, of the transactions of transactional ones.
 */
export async function failingOnce<T>(
  topic: string,
  nth: number,
  run: () => Promise<T>,
  options: {transactional?: boolean} = {},
): Promise<{value: T; failed: number}> {
  const original = Kafka.prototype.producer
  let calls = 0
  let failed = 0
  const failing =
    (send: SendBatch): SendBatch =>
    async (batch) => {
      if (batch.topicMessages?.some((t) => t.topic === topic) && ++calls === nth) {
        failed++
        throw new KafkaJSError('injected: the broker said no', {retriable: false})
      }
      return send(batch)
    }
  Kafka.prototype.producer = function (this: Kafka, config?: ProducerConfig) {
    const made = original.call(this, config)
    if (Boolean(config?.transactionalId) !== Boolean(options.transactional)) return made
    if (!options.transactional) {
      made.sendBatch = failing(made.sendBatch.bind(made)) as typeof made.sendBatch
      return made
    }
    const transaction = made.transaction.bind(made)
    made.transaction = async (): Promise<Transaction> => {
      const t = await transaction()
      t.sendBatch = failing(t.sendBatch.bind(t)) as typeof t.sendBatch
      return t
    }
    return made
  }
  try {
    return {value: await run(), failed}
  } finally {
    Kafka.prototype.producer = original
  }
}
