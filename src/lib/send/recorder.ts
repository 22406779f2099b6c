import type {Kafka, Message, Producer, TopicMessages} from 'kafkajs'

import {silentLogger, type Logger} from '../output/log.js'
import {createProducer, disconnectQuietly} from '../kafka/client.js'

interface Pending {
  topic: string
  messages: Message[]
  resolve: () => void
  reject: (error: Error) => void
}

/**
 * Writes responses and dead letters: records submitted while a write is in flight go out
 * together in the next `sendBatch` (one idempotent producer, acks=all), so recording costs one
 * round trip per burst, not per alert. `record` resolves once its records are acknowledged.
 */
export class Recorder {
  private producer: Producer | undefined
  private queue: Pending[] = []
  private flushing: Promise<void> | undefined
  private readonly log: Logger
  records = 0

  constructor(private readonly kafka: Kafka, log?: Logger) {
    this.log = (log ?? silentLogger).child({component: 'recorder'})
  }

  async connect(): Promise<void> {
    const producer = await createProducer(this.kafka, {idempotent: true, maxInFlightRequests: 1})
    await producer.connect()
    this.producer = producer
  }

  record(items: Array<{topic: string; message: Message}>): Promise<void> {
    if (items.length === 0) return Promise.resolve()
    const done = items.map(
      ({topic, message}) => new Promise<void>((resolve, reject) => this.queue.push({topic, messages: [message], resolve, reject})),
    )
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined))
    return Promise.all(done).then(() => undefined)
  }

  /** Waits for everything submitted so far. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined)
  }

  async close(timeoutMs = 3_000): Promise<void> {
    const producer = this.producer
    this.producer = undefined
    if (!(await disconnectQuietly(producer, timeoutMs))) this.log.warn('producer did not disconnect in time')
  }

  private async drain(): Promise<void> {
    // Let the alerts finishing in this tick join the batch.
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0) {
      const taken = this.queue.splice(0, 2_000)
      const byTopic = new Map<string, Message[]>()
      for (const p of taken) {
        const list = byTopic.get(p.topic)
        if (list) list.push(...p.messages)
        else byTopic.set(p.topic, [...p.messages])
      }
      const topicMessages: TopicMessages[] = [...byTopic].map(([topic, messages]) => ({topic, messages}))
      try {
        if (!this.producer) throw new Error('the producer is not connected')
        await this.producer.sendBatch({topicMessages, acks: -1})
        this.records += taken.length
        for (const p of taken) p.resolve()
      } catch (error) {
        this.log.warn('recording failed', {error, records: taken.length})
        for (const p of taken) p.reject(error instanceof Error ? error : new Error(String(error)))
      }
    }
  }
}
