/**
 * Per-channel queues: each channel is a FIFO with one job in flight, channels run in parallel,
 * so a slow channel (rate limited, retrying) holds up only itself.
 */
export class ChannelDispatch<T> {
  private readonly queues = new Map<string, T[]>()
  private active = 0
  private idleWaiters: Array<() => void> = []

  constructor(private readonly handle: (job: T, channel: string) => Promise<void>) {}

  enqueue(channel: string, job: T): void {
    const queue = this.queues.get(channel)
    if (queue) {
      queue.push(job)
      return
    }
    this.queues.set(channel, [job])
    this.active++
    void this.pump(channel).finally(() => {
      this.active--
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w()
    })
  }

  /** Whether any channel has a job queued or in flight. */
  get busy(): boolean {
    return this.active > 0
  }

  /** Resolves once every channel's queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve()
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  private async pump(channel: string): Promise<void> {
    const queue = this.queues.get(channel)!
    try {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await this.handle(job, channel)
    } finally {
      this.queues.delete(channel)
    }
  }
}
