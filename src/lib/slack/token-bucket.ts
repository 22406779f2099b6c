import {setTimeout as sleep} from 'node:timers/promises'

/** A token bucket; waiters are served in arrival order. */
export class TokenBucket {
  private tokens: number
  private updatedAt = performance.now()
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly perSecond: number,
    private readonly capacity: number,
  ) {
    this.tokens = capacity
  }

  take(signal: AbortSignal): Promise<void> {
    const turn = this.queue.then(async () => {
      await this.ready(signal)
      this.tokens -= 1
    })
    this.queue = turn.catch(() => undefined)
    return turn
  }

  /** Waits until a token is there without taking it. */
  async ready(signal: AbortSignal): Promise<void> {
    for (this.refill(); this.tokens < 1; this.refill()) {
      await sleep(Math.ceil(((1 - this.tokens) / this.perSecond) * 1000), undefined, {signal})
    }
  }

  /** After a 429: Slack's count says we are out, whatever ours says. */
  drain(): void {
    this.refill()
    this.tokens = Math.min(this.tokens, 0)
  }

  /** After a 429 with Retry-After: nobody takes a token for `ms`. */
  hold(ms: number): void {
    this.refill()
    this.tokens = Math.min(this.tokens, -(ms / 1000) * this.perSecond)
  }

  private refill(): void {
    const now = performance.now()
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.perSecond)
    this.updatedAt = now
  }
}
