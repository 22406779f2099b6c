import {Header} from '../records/headers.js'

/** Headers fa puts on what `fa produce` writes; the error header is the one every dead letter carries. */
export const ProduceHeader = {
  producer: 'fa-producer',
  jobId: 'fa-job-id',
  error: Header.error,
  row: 'fa-row',
  since: 'fa-window-since',
  until: 'fa-window-until',
} as const
