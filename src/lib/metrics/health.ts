import type {ReadyPart} from './room.js'

/**
 * What `/readyz` answers: ready once every part the daemon needs is up (tables loaded, consumer
 * joined) and nothing is failing right now.
 */
export class Health {
  private readonly up = new Map<ReadyPart, boolean>()
  private failure: string | null = null

  constructor(parts: ReadyPart[]) {
    for (const part of parts) this.up.set(part, false)
  }

  set(part: ReadyPart, up: boolean): void {
    this.up.set(part, up)
  }

  failing(reason: string | null): void {
    this.failure = reason
  }

  get isReady(): boolean {
    return this.failure === null && [...this.up.values()].every(Boolean)
  }

  /** The body of /readyz: each part, and the failure if any. */
  toJSON(): {ready: boolean; parts: Record<string, boolean>; failing: string | null} {
    return {ready: this.isReady, parts: Object.fromEntries(this.up), failing: this.failure}
  }
}
