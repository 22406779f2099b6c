import {setTimeout as sleep} from 'node:timers/promises'

/**
 * Keeps a channel's posts within Slack's per-channel rate as Slack measures it: on arrival.
 *
 * The Deliverer's token bucket spaces posts by when they are sent; Slack counts when they
 * arrive, and request latency varies (a delayed post followed by a prompt one can arrive less
 * than the interval apart). Slack answers that with a 429 and Retry-After: 1, a second lost on the
 * channel; pacing by send time drew many 429s and a much longer run in bench:send.
 * This bucket charges each post at its response instead: a post arrives before its response and
 * the next one after it is sent, so any two posts are at least as far apart at Slack as they are
 * here. The cost is one request latency per interval; bursts stay as configured.
 */
export class ChannelPacer {
  private readonly channels = new Map<string, {tokens: number; at: number}>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Waits until the channel may post (a no-op most of the time). */
  async ready(channel: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const state = this.channels.get(channel)
      if (!state) return
      const tokens = Math.min(this.burst, state.tokens + ((performance.now() - state.at) / 1000) * this.perSecond)
      if (tokens >= 1) return
      await sleep(Math.ceil(((1 - tokens) / this.perSecond) * 1000), undefined, {signal})
    }
  }

  /** Charges `posts` (0 for an alert found in history) to the channel, now (at the response). */
  charge(channel: string, posts: number): void {
    if (posts <= 0) return
    const now = performance.now()
    const state = this.channels.get(channel) ?? {tokens: this.burst, at: now}
    state.tokens = Math.min(this.burst, state.tokens + ((now - state.at) / 1000) * this.perSecond) - posts
    state.at = now
    this.channels.set(channel, state)
  }
}
