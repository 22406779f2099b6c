/** Where UTF-8 output goes in order: a stream (BufferedWriter) or a collector (golden files). */
export interface ByteSink {
  /**
   * Returns a promise only when the caller must wait: back-pressure, or the sink still reads
   * `bytes`. They are the caller's again (to write into anew) once it resolves, or at once
   * without one.
   */
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
  /** A flushed buffer the stream has written: the next flush encodes into it instead of new memory. */
  private spare: Buffer | undefined

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly capacity = 1 << 20,
  ) {
    this.buffer = Buffer.allocUnsafe(capacity)
  }

  /**
   * Text, or text already encoded as UTF-8. Returns a promise only when it had to flush, so
   * callers on the hot path rarely await; bytes passed on to the stream are the caller's again
   * once the stream has written them.
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
    return this.flush().then(() => this.send(bytes, {untilWritten: true}))
  }

  async flush(): Promise<void> {
    if (this.used === 0) return
    const full = this.buffer
    const data = full.subarray(0, this.used)
    // The stream keeps `data` until written: encode later writes into other memory, and this
    // buffer's again once it is written (new memory each time would wait for the garbage
    // collector outside the heap).
    this.buffer = this.spare ?? Buffer.allocUnsafe(this.capacity)
    this.spare = undefined
    this.used = 0
    await this.send(data, {
      written: () => {
        this.spare ??= full
      },
    })
  }

  /** Resolves once the stream has room again and, `untilWritten`, once it no longer holds `data`. */
  private async send(
    data: Uint8Array,
    {untilWritten = false, written}: {untilWritten?: boolean; written?: () => void} = {},
  ) {
    let done!: () => void
    const writing = new Promise<void>((resolve) => (done = resolve))
    // Called once `data` is written, or with the error that stopped it (the stream reports that too).
    const room = this.stream.write(data, () => {
      written?.()
      done()
    })
    if (!room) await new Promise<void>((resolve) => this.stream.once('drain', resolve))
    if (untilWritten) await writing
  }
}
