import {FaError} from '../errors.js'

export type CheckStatus = 'pass' | 'fail' | 'skip'

/** One line of `fa doctor`: what was checked, what was found, and the fix when it failed. */
export interface CheckResult {
  name: string
  status: CheckStatus
  detail: string
  fix?: string
  ms: number
}

export const pass = (detail: string) => ({status: 'pass' as const, detail})
export const fail = (detail: string, fix?: string) => ({status: 'fail' as const, detail, fix})
export const skip = (detail: string, fix?: string) => ({status: 'skip' as const, detail, fix})

/** A check's finding; `name` when one check reports several lines (one per topic). */
export type Verdict = Omit<CheckResult, 'name' | 'ms'> & {name?: string}

/**
 * Runs one check within `timeoutMs`: a check that does not answer in time fails as such, one
 * that throws fails with its message (a FaError's hint is the fix).
 */
export async function runCheck(
  name: string,
  timeoutMs: number,
  check: () => Promise<Verdict | Verdict[]>,
  onTimeout: {what?: string; fix?: string} = {},
): Promise<CheckResult[]> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<Verdict>(
    (resolve) =>
      (timer = setTimeout(
        () =>
          resolve(
            fail(
              `no answer${onTimeout.what ? ` from ${onTimeout.what}` : ''} within ${Math.round(timeoutMs / 1000)} s`,
              onTimeout.fix ?? 'check the address and the network',
            ),
          ),
        timeoutMs,
      )),
  )
  let verdicts: Verdict[]
  try {
    const result = await Promise.race([check(), timedOut])
    verdicts = Array.isArray(result) ? result : [result]
  } catch (error) {
    verdicts = [fail(firstLine(error), error instanceof FaError ? error.hint : undefined)]
  } finally {
    clearTimeout(timer)
  }
  const ms = Date.now() - started
  return verdicts.map((v) => ({...v, name: v.name ?? name, ms}))
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
