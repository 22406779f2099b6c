/**
 * The state stateful alert types keep from one event to the next (open incidents, histories),
 * passed into the core like the TableStore. Values are plain JSON, so a runner can keep them in
 * memory (replay --dry-run) or restore them from and write them to a changelog (fa enrich).
 * A namespace is one alert type's kind of state: `<alert type>/incident`, `<alert type>/history/<as>`.
 */
export interface StateStore {
  get(namespace: string, key: string): unknown
  put(namespace: string, key: string, value: unknown): void
  delete(namespace: string, key: string): void
  entries(namespace: string): Iterable<[string, unknown]>
}

/**
 * Thrown by a store that cannot answer where it runs (enrich's first stage, whose probe only
 * learns the state key): the core stops the alert type there, and its outcome is decided where
 * the state is.
 */
export class StateElsewhere extends Error {}

/** One change to a state store, in the order made: a value, or null for a deletion (a tombstone). */
export interface StateChange {
  namespace: string
  key: string
  value: unknown
  /** The value before (undefined: none), to undo the change. */
  previous?: unknown
}

/** State in memory. With `journal`, every change is also kept until taken, for a changelog. */
export class MemoryStateStore implements StateStore {
  private readonly spaces = new Map<string, Map<string, unknown>>()
  private changes: StateChange[] | undefined

  constructor(options: {journal?: boolean} = {}) {
    if (options.journal) this.changes = []
  }

  get(namespace: string, key: string): unknown {
    return this.spaces.get(namespace)?.get(key)
  }

  put(namespace: string, key: string, value: unknown): void {
    let space = this.spaces.get(namespace)
    if (!space) this.spaces.set(namespace, (space = new Map()))
    this.changes?.push({namespace, key, value, previous: space.get(key)})
    space.set(key, value)
  }

  delete(namespace: string, key: string): void {
    const space = this.spaces.get(namespace)
    this.changes?.push({namespace, key, value: null, previous: space?.get(key)})
    space?.delete(key)
  }

  entries(namespace: string): Iterable<[string, unknown]> {
    return this.spaces.get(namespace)?.entries() ?? []
  }

  /** Puts a restored value without journalling it (it is already in the changelog). */
  restore(namespace: string, key: string, value: unknown): void {
    const journal = this.changes
    this.changes = undefined
    if (value === null) this.delete(namespace, key)
    else this.put(namespace, key, value)
    this.changes = journal
  }

  /** Forgets everything (before a restore), changes not yet taken included. */
  clear(): void {
    this.spaces.clear()
    if (this.changes) this.changes = []
  }

  /** A point in the journal to undo back to. */
  mark(): number {
    return this.changes?.length ?? 0
  }

  /** Undoes the changes journalled since `mark`, newest first: a record whose outcome was not written after all. */
  undo(mark: number): void {
    const changes = this.changes
    if (!changes) return
    for (let i = changes.length - 1; i >= mark; i--) {
      const {namespace, key, previous} = changes[i]!
      const space = this.spaces.get(namespace)
      if (previous === undefined) space?.delete(key)
      else space?.set(key, previous)
    }
    changes.length = Math.min(changes.length, mark)
  }

  /** The changes made since the last call, oldest first. */
  takeChanges(): StateChange[] {
    const taken = this.changes ?? []
    if (this.changes) this.changes = []
    return taken
  }

  size(namespace: string): number {
    return this.spaces.get(namespace)?.size ?? 0
  }
}
