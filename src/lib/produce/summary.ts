/* What a produce run reports: its counts, the BigQuery job and cost, and where the checkpoint stands. */

export interface CheckpointOutcome {
  topic: string
  /** The high-water mark before the run (null: none yet). */
  previous: string | null
  /** After the run. */
  current: string | null
  advanced: boolean
  /** Why it stayed, when it did. */
  note?: string
}

export interface ProduceSummary {
  producer: string
  rows: number
  events: number
  deadLetters: number
  topic: string
  deadLetterTopic: string
  window: {since: string; until: string}
  bytesProcessed: number
  bytesBilled: number
  /** bytesBilled (dry run: bytesProcessed) at bigquery.pricePerTiB. */
  cost: number
  jobId: string | null
  durationMs: number
  dryRun: boolean
  /** The preview's row cap (the query ran and billed), when there was one. */
  preview?: number
  /** `--since checkpoint`: how far before the checkpoint the window starts, for late rows. */
  grace?: string
  checkpoint: CheckpointOutcome
}
