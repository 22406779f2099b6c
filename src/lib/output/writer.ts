/**
 * Buffers small writes into large ones and waits for the stream to drain, so printing a
 * million records neither costs a syscall each nor piles up unbounded in memory.
 */
export class BufferedWriter {
  private buffer = ''

  constructor(private readonly stream: NodeJS.WritableStream, private readonly limit = 1 << 16) {}

  async write(text: string): Promise<void> {
    this.buffer += text
    if (this.buffer.length >= this.limit) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.buffer === '') return
    const chunk = this.buffer
    this.buffer = ''
    if (!this.stream.write(chunk)) await new Promise<void>((resolve) => this.stream.once('drain', resolve))
  }
}
