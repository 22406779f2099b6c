export function buildStreamsApp(): void
export interface StreamsSummary {
  streamStartedAt: number
  lastCommitAt: number
  alerts: number
  deadLetters: number
  /** Revisions after the first (incidents=1 only). */
  updates: number
  dropped: Record<string, number>
  cpu: number
}
export function runStreamsApp(
  options: Record<string, string | number>,
  env?: NodeJS.ProcessEnv,
): Promise<StreamsSummary>
