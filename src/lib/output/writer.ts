/** Where UTF-8 output goes in order: a stream (BufferedWriter) or a collector (golden files). */
export interface ByteSink {
  /** Returns a promise only when the caller must wait (back-pressure). */
  write(bytes: Uint8Array): Promise<void> | undefined
}

/**
 * Encodes many small writes into one large buffer and waits for the stream to drain, so
 * printing a million records neither costs a syscall each nor piles up in memory.
 * Buffer#write into a preallocated buffer, because it measured faster than
 * TextEncoder.encodeInto and far faster than Buffer.from per string.
 */
export class BufferedWriter implements ByteSink {
  private buffer: Buffer
  private used = 0

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly capacity = 1 << 20,
  ) {
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  /**
   * Text, or text already encoded as UTF-8. Returns a promise only when it had to flush, so
   * callers on the hot path rarely await.
   */
  write(text: string | Uint8Array): Promise<void> | undefined {
    if (typeof text !== 'string') return this.writeBytes(text)
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + text.length * 3 <= this.capacity) {
      this.used += this.buffer.write(text, this.used)
      return undefined
    }
    return this.flush().then(() => {
      if (text.length * 3 > this.capacity) return this.send(Buffer.from(text, 'utf8'))
      this.used = this.buffer.write(text)
    })
  }

  private writeBytes(bytes: Uint8Array): Promise<void> | undefined {
    if (this.used + bytes.length <= this.capacity) {
      this.buffer.set(bytes, this.used)
      this.used += bytes.length
      return undefined
    }
    return this.flush().then(() => this.send(bytes))
  }

  async flush(): Promise<void> {
    if (this.used === 0) return
    const data = this.buffer.subarray(0, this.used)
    // The stream keeps `data` until written: encode later writes into a fresh buffer.
    this.buffer = Buffer.allocUnsafe(this.capacity)
    this.used = 0
    await this.send(data)
  }

  private async send(data: Uint8Array): Promise<void> {
    if (!this.stream.write(data)) await new Promise<void>((resolve) => this.stream.once('drain', resolve))
  }
}
