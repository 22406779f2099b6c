import type {PatchStatus} from './index.js'

let installed = false

/**
 * kafkajs 2.2.4 schedules its request-queue check with `setTimeout(fn, throttledUntil - Date.now())`
 * while throttledUntil is 0; Node 24 then prints "TimeoutNegativeWarning: -17… is a negative
 * number" on stderr (tulios/kafkajs#1751, unfixed upstream). The delay is clamped to 1 ms, which
 * is what kafkajs means, so the warning is noise: drop it and let every other warning through.
 */
export function silenceKafkajsTimeoutWarning(): PatchStatus {
  if (installed) return {active: true}
  installed = true
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const type =
      warning instanceof Error
        ? warning.name
        : typeof rest[0] === 'string'
          ? rest[0]
          : (rest[0] as {type?: string} | undefined)?.type
    if (type === 'TimeoutNegativeWarning') return
    emitWarning(warning, ...rest)
  }) as typeof process.emitWarning
  return {active: true}
}
