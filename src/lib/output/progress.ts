import {SingleBar} from 'cli-progress'

/** A progress bar on stderr, only where a person watches it (a TTY, not CI). */
export function progressBar(
  label: string,
  total: number,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): SingleBar | undefined {
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

/** Progress through fixture files, in KiB: a bar only for 8 MiB or more. */
export function fileProgress(label: string): {
  update(progress: {bytesRead: number; totalBytes: number}): void
  stop(): void
} {
  let bar: SingleBar | undefined
  return {
    update({bytesRead, totalBytes}) {
      if (totalBytes < 8 << 20) return
      bar ??= progressBar(label, Math.ceil(totalBytes / 1024), 'KiB')
      bar?.update(Math.floor(bytesRead / 1024))
    },
    stop: () => bar?.stop(),
  }
}
