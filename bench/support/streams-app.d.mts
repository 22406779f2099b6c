export function buildStreamsApp(): void
export interface StreamsSummary {
  streamStartedAt: number
  lastCommitAt: number
  alerts: number
  deadLetters: number
  dropped: Record<string, number>
  cpu: number
}
export function runStreamsApp(
  options: Record<string, string | number>,
  env?: NodeJS.ProcessEnv,
): Promise<StreamsSummary>
