import type {Document, LineCounter} from 'yaml'
import type {z} from 'zod'

import {configSchema} from './schema.js'

type Path = ReadonlyArray<PropertyKey>

/** Where the config went wrong, as one line: `file:line: config key "a.b": what` (an unknown key with a did-you-mean). */
export function explainIssue(
  issue: z.core.$ZodIssue,
  where: string,
  source?: {doc: Document; lines: LineCounter},
): string {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!
    const path = [...issue.path, key]
    const near = closest(key, knownKeys(issue.path))
    const hint = near ? ` (did you mean "${[...issue.path, near].join('.')}"?)` : ''
    return `${at(where, source, path)}: config key "${path.join('.')}" is not one fa knows${hint}`
  }
  return `${at(where, source, issue.path)}: config key "${issue.path.join('.')}": ${issue.message}`
}

/** `file:line` of the key at `path` (or of its nearest parent present), or `where` alone. */
function at(where: string, source: {doc: Document; lines: LineCounter} | undefined, path: Path): string {
  if (!source) return where
  for (let n = path.length; n > 0; n--) {
    const offset = keyOffset(source.doc, path.slice(0, n))
    if (offset !== undefined) return `${where}:${source.lines.linePos(offset).line}`
  }
  return where
}

/** Where the entry at `path` starts: a map entry's key, a sequence item itself. */
function keyOffset(doc: Document, path: Path): number | undefined {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true)
  const items = (parent as {items?: Array<{key?: {value?: unknown; range?: number[]}; range?: number[]}>} | null)?.items
  if (!items) return undefined
  const last = path.at(-1)
  if (typeof last === 'number') return items[last]?.range?.[0]
  const item = items.find((i) => i.key?.value === last)
  return item?.key?.range?.[0] ?? item?.range?.[0]
}

/** The keys the config schema allows in the object at `path`. */
function knownKeys(path: Path): string[] {
  let schema: unknown = configSchema
  for (const segment of path) {
    const shape = objectShape(schema)
    schema = typeof segment === 'string' && shape ? shape[segment] : elementOf(schema)
    if (!schema) return []
  }
  return Object.keys(objectShape(schema) ?? {})
}

interface ZodLike {
  _zod?: {
    def?: {innerType?: unknown; in?: unknown; element?: unknown; valueType?: unknown; shape?: Record<string, unknown>}
  }
}

function unwrap(schema: unknown): ZodLike | undefined {
  let s = schema as ZodLike | undefined
  for (let i = 0; i < 10 && s?._zod?.def; i++) {
    const def = s._zod.def
    const inner = def.innerType ?? def.in
    if (!inner) return s
    s = inner as ZodLike
  }
  return s
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  return unwrap(schema)?._zod?.def?.shape
}

function elementOf(schema: unknown): unknown {
  const def = unwrap(schema)?._zod?.def
  return def?.element ?? def?.valueType
}

/** The known key nearest `key` by edit distance (at most 2, or a third of its length), if any. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1
  for (const candidate of known) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase())
    if (d < bestDistance) [best, bestDistance] = [candidate, d]
  }
  return best
}

function distance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = row
  }
  return previous[b.length]!
}
