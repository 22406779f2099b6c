import type {AlertContent} from './content.js'

/** What an incident keeps of its latest event's content: the content with its text as a string. */
export type StoredContent = Omit<AlertContent, 'text'> & {text: string}

/**
 * An incident's content as held in memory: its strings end to end in one string, their lengths
 * in another, and its form (keys in order, labels, how many context lines) in a third that every
 * incident of the same form shares. An open incident is three strings and an object instead of
 * dozens of objects, which every young-generation GC would copy and every full one trace.
 * `toJSON` gives back the content as it was, keys in their order, so state written as JSON (a
 * changelog) holds what it always did.
 */
export class PackedContent {
  constructor(
    private readonly form: string,
    private readonly lengths: string,
    private readonly text: string,
  ) {}

  unpack(): StoredContent {
    let at = 0
    let part = 0
    const next = () => {
      const length = this.lengths.charCodeAt(part++)
      return this.text.slice(at, (at += length))
    }
    const content: Record<string, unknown> = {}
    for (const slot of formOf(this.form).slots) {
      if (slot.kind === 'absent') content[slot.key] = undefined
      else if (slot.kind === 'text') content[slot.key] = next()
      else if (slot.kind === 'pair') content[slot.key] = {label: slot.label, value: next()}
      else if (slot.kind === 'pairs') content[slot.key] = slot.labels.map((label) => ({label, value: next()}))
      else content[slot.key] = Array.from({length: slot.count}, next)
    }
    return content as StoredContent
  }

  toJSON(): StoredContent {
    return this.unpack()
  }

  /** The JSON of the content, as `JSON.stringify` gives it, written from the parts without unpacking them. */
  json(): string {
    const fragments = formOf(this.form).json
    let json = fragments[0]!
    let at = 0
    for (let part = 0; part < this.lengths.length; part++) {
      const length = this.lengths.charCodeAt(part)
      json += JSON.stringify(this.text.slice(at, (at += length))) + fragments[part + 1]!
    }
    return json
  }
}

/**
 * A state value as JSON, for the changelog: an incident's packed content written straight from
 * its parts (a changelog record per incident change: unpacking it first cost more than the rest).
 */
export function stateJson(value: unknown): string {
  const content = (value as {content?: unknown} | null)?.content
  if (!(content instanceof PackedContent)) return JSON.stringify(value)
  const {content: _, ...rest} = value as {content: PackedContent}
  const head = JSON.stringify(rest)
  return `${head.slice(0, -1)}${head === '{}' ? '' : ','}"content":${content.json()}}`
}

/** One key of a form, and what its parts make: a string, a `{label, value}` pair, pairs, or lines. */
type Slot = {key: string} & (
  | {kind: 'absent'}
  | {kind: 'text'}
  | {kind: 'pair'; label: string}
  | {kind: 'pairs'; labels: string[]}
  | {kind: 'lines'; count: number}
)

/** A form read once: its slots, and the JSON between its parts (the same for every content of it). */
interface ParsedForm {
  slots: Slot[]
  json: string[]
}

const parsedForms = new Map<string, ParsedForm>()

function formOf(form: string): ParsedForm {
  let parsed = parsedForms.get(form)
  if (parsed) return parsed
  const parts = form.split(SEP)
  const slots: Slot[] = []
  for (let i = 0; i < parts.length;) {
    const key = parts[i++]!
    if (parts[i] === ABSENT) {
      i++
      slots.push({key, kind: 'absent'})
    } else if (key === 'fields') {
      const count = Number(parts[i++])
      slots.push({key, kind: 'pairs', labels: parts.slice(i, (i += count))})
    } else if (key === 'detail') slots.push({key, kind: 'pair', label: parts[i++]!})
    else if (key === 'context') slots.push({key, kind: 'lines', count: Number(parts[i++])})
    else slots.push({key, kind: 'text'})
  }
  parsed = {slots, json: jsonBetweenParts(slots)}
  if (parsedForms.size < 1000) parsedForms.set(form, parsed)
  return parsed
}

function jsonBetweenParts(slots: Slot[]): string[] {
  const json: string[] = []
  let literal = '{'
  const value = () => {
    json.push(literal)
    literal = ''
  }
  const pair = (label: string) => {
    literal += `{"label":${JSON.stringify(label)},"value":`
    value()
    literal += '}'
  }
  for (const slot of slots) {
    // JSON.stringify leaves out a key whose value is undefined.
    if (slot.kind === 'absent') continue
    literal += `${literal === '{' ? '' : ','}${JSON.stringify(slot.key)}:`
    if (slot.kind === 'text') value()
    else if (slot.kind === 'pair') pair(slot.label)
    else {
      literal += '['
      const count = slot.kind === 'pairs' ? slot.labels.length : slot.count
      for (let n = 0; n < count; n++) {
        if (n > 0) literal += ','
        if (slot.kind === 'pairs') pair(slot.labels[n]!)
        else value()
      }
      literal += ']'
    }
  }
  json.push(`${literal}}`)
  return json
}

/** The keys of an alert type's content: any other is kept as it is. */
const KEYS = new Set(['recipient', 'header', 'text', 'fields', 'detail', 'context'])
/** Between the parts of a form: labels that hold it are not packed. */
const SEP = '\0'
/** A key present with the value undefined. */
const ABSENT = '-'
/**
 * `content` packed, or as it is when it holds anything but what an alert type's content is made
 * of (strings, `{label, value}` pairs of strings, string lines): a number, an extra key, a part
 * over 65,535 characters.
 */
export function pack(content: StoredContent): StoredContent | PackedContent {
  const form: string[] = []
  const parts: string[] = []
  for (const key in content) {
    const value = (content as Record<string, unknown>)[key]
    if (!KEYS.has(key)) return content
    form.push(key)
    if (value === undefined) form.push(ABSENT)
    else if (key === 'fields' || key === 'detail') {
      const pairs = key === 'fields' ? value : [value]
      if (!Array.isArray(pairs)) return content
      if (key === 'fields') form.push(String(pairs.length))
      for (const pair of pairs) {
        if (!isTextPair(pair)) return content
        form.push(pair.label)
        parts.push(pair.value)
      }
    } else if (key === 'context') {
      if (!Array.isArray(value)) return content
      form.push(String(value.length))
      for (const line of value) {
        if (typeof line !== 'string') return content
        parts.push(line)
      }
    } else if (typeof value === 'string') parts.push(value)
    else return content
  }
  const lengths: number[] = []
  for (const part of parts) {
    if (part.length > 0xffff) return content
    lengths.push(part.length)
  }
  return new PackedContent(shareForm(form), String.fromCharCode(...lengths), parts.join(''))
}

/** Forms seen, so that incidents of one form share one string; bounded, as forms come from alert types' code. */
const forms = new Map<string, string>()
/** The last form shared, and its parts: most contents have the form of the one before. */
let last: {parts: string[]; form: string} | undefined

function shareForm(parts: string[]): string {
  if (last && last.parts.length === parts.length && last.parts.every((part, i) => part === parts[i])) return last.form
  const signature = parts.join(SEP)
  let form = forms.get(signature)
  if (form === undefined) {
    form = signature
    if (forms.size < 1000) forms.set(signature, signature)
  }
  last = {parts, form}
  return form
}

/** Exactly `{label, value}` with two strings, keys in that order, a label that a form can hold. */
function isTextPair(pair: unknown): pair is {label: string; value: string} {
  if (typeof pair !== 'object' || pair === null) return false
  const {label, value} = pair as Record<string, unknown>
  if (typeof label !== 'string' || typeof value !== 'string' || label.includes(SEP) || label === ABSENT) return false
  let n = 0
  for (const key in pair) if (key !== (n++ === 0 ? 'label' : 'value')) return false
  return n === 2
}

/** An incident's content, packed or as restored from JSON. */
export function unpacked(content: StoredContent | PackedContent): StoredContent {
  return content instanceof PackedContent ? content.unpack() : content
}
