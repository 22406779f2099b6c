import {SingleBar} from 'cli-progress'

/** A progress bar on stderr, only where a person watches it (a TTY, not CI). */
export function progressBar(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): SingleBar | undefined {
  if (!stream.isTTY || process.env.CI) return undefined
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {eta_formatted} left`,
    stream,
    hideCursor: true,
    clearOnComplete: true,
  })
  bar.start(total, 0)
  return bar
}
