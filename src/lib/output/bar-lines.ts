/**
 * Log lines while a progress bar is showing: written through the bar (above it, then the bar is
 * drawn again) instead of into it. Kept apart from progress.ts so the logger never loads cli-progress.
 */
const above = new Map<NodeJS.WritableStream, (text: string) => void>()

/** While a bar shows on `stream`, lines go through `write`; returns the function that ends that. */
export function routeLinesAboveBar(stream: NodeJS.WritableStream, write: (text: string) => void): () => void {
  above.set(stream, write)
  return () => {
    if (above.get(stream) === write) above.delete(stream)
  }
}

/** Writes `text` above the bar showing on `stream`; false when none shows. */
export function writeAboveBar(stream: NodeJS.WritableStream, text: string): boolean {
  const write = above.get(stream)
  if (!write) return false
  write(text)
  return true
}
