import {roleOf, type Config} from '../config/schema.js'
import type {Summary} from '../pipeline/summary.js'
import type {Topology} from '../pipeline/topology.js'
import {plural} from '../output/plural.js'
import {printable} from '../output/printable.js'
import type {FileCounts} from './dry-run.js'
import {nearestTopic, topicAliases} from './topic-names.js'

/**
 * One line per topic that records were on but no pipeline reads: how many, and what the config
 * or the alert types know of it, with the nearest topic they read when the name looks like a typo.
 */
export function unreadTopicNotes(summary: Summary, topology: Topology, topics: Config['topics']): string[] {
  const read = [...topology.sourceTopics, ...topology.tableTopics.map(({topic}) => topic)]
  // A fixture may also name a read topic by its role or default name (`data-onboarding-events` for a renamed one).
  const names = [...read, ...[...topicAliases(topics)].filter(([, to]) => read.includes(to)).map(([alias]) => alias)]
  return Object.entries(summary.unroutedTopics).map(([topic, n]) => {
    const role = roleOf(topics, topic)
    const known = role
      ? `the config names it as its ${role} topic, which no enabled alert type reads`
      : `neither the config nor the alert types know it`
    const near = role ? undefined : nearestTopic(topic, names)
    const hint = near ? `; did you mean \`${near}\`?` : ''
    return `${plural(n, 'record')} on \`${printable(topic)}\`, which no enabled alert type reads: ${known}${hint}`
  })
}

/** Files that gave the run nothing to test: no records at all, or only records no pipeline reads. */
export function idleFileNotes(
  files: string[],
  counts: Map<string, FileCounts>,
  nameOf: (file: string) => string = (file) => file,
): string[] {
  const notes: string[] = []
  for (const path of new Set(files)) {
    const {records = 0, unread = 0} = counts.get(path) ?? {}
    const file = nameOf(path)
    if (records === 0) notes.push(`${file} holds no records`)
    else if (unread === records) {
      const which = records === 1 ? 'its one record is' : `all ${records} of its records are`
      notes.push(`${file}: ${which} on topics no enabled alert type or table reads`)
    }
  }
  return notes
}
