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
