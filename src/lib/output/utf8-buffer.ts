/**
 * Text encoded to UTF-8 as it is written, into memory of its own that grows as needed: what a
 * replay chunk produces. Each record's text dies young instead of waiting in a string of the
 * whole chunk, and the bytes can be handed to another thread without a copy.
 */
export class Utf8Buffer {
  private buffer: Buffer
  private used = 0

  /**
   * `memory`: a guess at the size it will reach, so that it seldom grows, or memory of its own
   * (not pooled) whose bytes are no longer needed, to write into instead of new memory.
   */
  constructor(memory: number | Buffer = 64 << 10) {
    this.buffer = typeof memory === 'number' ? Buffer.allocUnsafeSlow(memory) : memory
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const room = text.length * 3
    if (this.used + room > this.buffer.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, this.used + room))
      this.buffer.copy(grown, 0, 0, this.used)
      this.buffer = grown
    }
    this.used += this.buffer.write(text, this.used)
  }

  /** What was written. Its memory is this buffer's own (no pool), so it can be transferred. */
  get bytes(): Uint8Array {
    return this.buffer.subarray(0, this.used)
  }
}
