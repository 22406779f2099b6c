import type {Message, Producer as KafkaProducer} from 'kafkajs'

import type {QueryRun} from '../bigquery/query.js'
import type {Config} from '../config/schema.js'
import {kafkaError} from '../kafka/connection.js'
import {groupByTopic} from '../kafka/requests.js'
import type {Envelope} from '../records/envelope.js'
import type {RecordEncoder} from '../schema/encoder.js'
import {encodedEvent} from '../schema/producer-schema.js'
import {ProduceHeader} from './headers.js'
import {untilAborted} from './outcome.js'
import type {Producer} from './producer.js'
import type {Window} from './window.js'
import {plural} from '../output/plural.js'

export interface RowPublisherOptions {
  producer: Producer
  config: Config
  topic: string
  deadLetterTopic: string
  window: Window
  /** Records go to onRecord, not to Kafka. */
  dryRun: boolean
  /** Connected (not in a dry run). */
  sender?: KafkaProducer
  encoder?: RecordEncoder
  /** Records per acknowledged sendBatch. */
  batchRecords: number
  /** A preview's row cap. */
  preview?: number
  /** Stops between rows, and the wait for BigQuery. */
  signal?: AbortSignal
  onRecord?: (record: Envelope, kind: 'event' | 'dead-letter') => void
}

/**
 * The rows of a query run as records: one event per row, or a dead letter (with the reason) for
 * a row its schema refuses. Produced in batches, each acknowledged before the next row is read.
 */
export class RowPublisher {
  /** Acknowledged so far: a failure says how many. */
  produced = 0
  rows = 0
  events = 0
  deadLetters = 0
  private pending: Array<{topic: string; message: Message}> = []

  constructor(private readonly options: RowPublisherOptions) {}

  /** Every row of `run` (up to the preview's cap); the last batch is acknowledged when it returns. */
  async publish(run: QueryRun): Promise<void> {
    const {producer, topic, deadLetterTopic, window, dryRun, encoder, preview, onRecord} = this.options
    const windowHeaders = {
      [ProduceHeader.since]: window.since.toISOString(),
      [ProduceHeader.until]: window.until.toISOString(),
    }
    const source = run.rows()
    for (;;) {
      if (preview !== undefined && this.rows >= preview) break
      // A signal stops the wait for BigQuery too, not only between rows.
      const next = await untilAborted(source.next(), this.options.signal)
      if (next.done) break
      const row = next.value
      this.rows++
      const result = encodedEvent(producer.event(row), topic, encoder)
      if (result.ok) {
        this.events++
        const {key, value} = result.event
        const headers = {[ProduceHeader.producer]: producer.name, [ProduceHeader.jobId]: run.jobId}
        if (dryRun) onRecord?.({topic, key, value, headers}, 'event')
        else
          this.pending.push({
            topic,
            message: {key: result.keyBytes ?? key, value: result.bytes ?? JSON.stringify(value), headers},
          })
      } else {
        this.deadLetters++
        const headers = {
          [ProduceHeader.error]: result.reason,
          [ProduceHeader.producer]: producer.name,
          [ProduceHeader.jobId]: run.jobId,
          [ProduceHeader.row]: String(this.rows),
          ...windowHeaders,
        }
        if (dryRun) onRecord?.({topic: deadLetterTopic, key: null, value: row, headers}, 'dead-letter')
        else this.pending.push({topic: deadLetterTopic, message: {key: null, value: JSON.stringify(row), headers}})
      }
      if (this.pending.length >= this.options.batchRecords) await this.flush()
    }
    await this.flush()
  }

  private async flush(): Promise<void> {
    const {sender, config} = this.options
    if (this.pending.length === 0 || !sender) return
    try {
      await sender.sendBatch({
        topicMessages: [...groupByTopic(this.pending)].map(([name, messages]) => ({topic: name, messages})),
        acks: -1,
      })
    } catch (error) {
      throw kafkaError(error, config, `producing (after ${plural(this.produced, 'record')})`)
    }
    this.produced += this.pending.length
    this.pending = []
  }
}
