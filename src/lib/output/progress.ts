import {MultiBar} from 'cli-progress'

import {routeLinesAboveBar} from './bar-lines.js'

export interface ProgressBar {
  update(value: number): void
  stop(): void
}

/**
 * A progress bar on stderr, only where a person watches it (a TTY, not CI). While it shows, log
 * lines to the same stream are written above it (bar-lines.ts), never into it.
 */
export function progressBar(
  label: string,
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressBar | undefined {
  if (!stream.isTTY || process.env.CI) return undefined
  const bars = new MultiBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
    stream,
    hideCursor: true,
    clearOnComplete: true,
  })
  const bar = bars.create(total, 0)
  const unroute = routeLinesAboveBar(stream, (text) => bars.log(text))
  return {
    update: (value) => bar.update(value),
    stop: () => {
      unroute()
      bars.update() // writes the lines still waiting to be drawn above the bar
      bars.stop()
    },
  }
}

/** Progress through fixture files, in KiB: a bar only for 8 MiB or more. */
export function fileProgress(label: string): {
  update(progress: {bytesRead: number; totalBytes: number}): void
  stop(): void
} {
  let bar: ProgressBar | undefined
  return {
    update({bytesRead, totalBytes}) {
      if (totalBytes < 8 << 20) return
      bar ??= progressBar(label, Math.ceil(totalBytes / 1024), 'KiB')
      bar?.update(Math.floor(bytesRead / 1024))
    },
    stop: () => bar?.stop(),
  }
}
