import {closest, distance} from 'fastest-levenshtein'

import {defaultTopics, type Config} from '../config/schema.js'

/**
 * The names a fixture may give a topic besides its configured one: its logical role
 * (`notifications`) and, where the config renames it, its default name
 * (`data-notifications-pipeline` for `dev.data-notifications-pipeline`). A name that is some
 * topic's configured name is never an alias.
 */
export function topicAliases(topics: Config['topics']): Map<string, string> {
  const configured = new Set(Object.values(topics))
  const aliases = new Map<string, string>()
  const defaults: Record<string, string> = defaultTopics
  for (const [role, topic] of Object.entries(topics)) {
    for (const alias of [role, defaults[role]]) {
      if (alias !== undefined && !configured.has(alias) && !aliases.has(alias)) aliases.set(alias, topic)
    }
  }
  return aliases
}

/**
 * The topic a fixture's unknown `name` most likely meant, if any looks like a typo of it: fewer
 * edits than a third of the candidate's name, or the candidate with less than half of it cut off
 * its start or end (`data-notifications` for `data-notifications-pipeline`, a missing `dev.` prefix).
 */
export function nearestTopic(name: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined
  const near = closest(name, [...candidates])
  if (distance(name, near) <= Math.max(2, Math.floor(near.length / 3))) return near
  return candidates.find(
    (candidate) => name.length * 2 >= candidate.length && (candidate.startsWith(name) || candidate.endsWith(name)),
  )
}
