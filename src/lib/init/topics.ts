import {defaultTopics} from '../config/schema.js'
import {prefixedTopics, TOPIC_NAME, type InitSettings} from '../config/write.js'
import {FaError} from '../errors.js'
import type {Prompter} from './prompt.js'

type Topics = InitSettings['topics']

const TOPIC_LABELS: Record<keyof typeof defaultTopics, string> = {
  notifications: 'connector notifications (events)',
  assignments: 'CSDR assignments (table)',
  slackUsers: 'Slack users (table)',
  onboarding: 'onboarding events',
  clusters: 'cluster events',
  slackMessages: 'Slack messages (alerts out)',
  slackResponses: 'Slack responses',
  deadLetters: 'dead letters',
  checkpoints: 'checkpoints',
  state: 'alert state (changelog)',
}

/**
 * The topic names: the prefix (flag, question, or none), then the --topic overrides; on a
 * terminal, the names the overrides leave open are shown for a yes, or asked one by one.
 * Returns the prefix too: it names the default consumer groups as well.
 */
export async function askTopics(
  prefixFlag: string | undefined,
  entries: string[] | undefined,
  p: Prompter | undefined,
): Promise<{prefix: string; topics: Topics}> {
  const overrides = parseTopicFlags(entries)
  const validPrefix = (v: string) => v === '' || /^[a-zA-Z0-9._-]+$/.test(v) || 'letters, digits, ".", "_" and "-" only'
  if (prefixFlag !== undefined && validPrefix(prefixFlag) !== true)
    throw new FaError(`--topic-prefix ${prefixFlag}: letters, digits, ".", "_" and "-" only`)
  const prefix =
    prefixFlag ??
    (p
      ? (
          await p.input({
            message: 'Topic name prefix (empty for none, e.g. staging.)',
            default: '',
            validate: (v) => validPrefix(v.trim()),
          })
        ).trim()
      : '')
  const topics = {...prefixedTopics(prefix), ...overrides}
  if (!p) return {prefix, topics}

  const open = (Object.keys(defaultTopics) as Array<keyof typeof defaultTopics>).filter(
    (key) => overrides[key] === undefined,
  )
  if (open.length === 0) return {prefix, topics}
  const width = Math.max(...open.map((key) => TOPIC_LABELS[key].length))
  const listing = open.map((key) => `  ${TOPIC_LABELS[key].padEnd(width)}  ${topics[key]}`).join('\n')
  if (await p.confirm({message: `Topic names:\n${listing}\nUse these?`, default: true})) return {prefix, topics}
  for (const key of open) {
    topics[key] = (
      await p.input({
        message: `Topic for ${TOPIC_LABELS[key]}`,
        default: topics[key],
        validate: (v) => TOPIC_NAME.test(v.trim()) || 'letters, digits, ".", "_" and "-", at most 249 characters',
      })
    ).trim()
  }
  return {prefix, topics}
}

function parseTopicFlags(entries: string[] | undefined): Partial<Topics> {
  const out: Partial<Topics> = {}
  for (const entry of entries ?? []) {
    const eq = entry.indexOf('=')
    const key = entry.slice(0, eq).trim()
    const name = entry.slice(eq + 1).trim()
    if (eq < 0 || !(key in defaultTopics)) {
      throw new FaError(
        `--topic ${entry}: expected NAME=TOPIC with NAME one of ${Object.keys(defaultTopics).join(', ')}`,
      )
    }
    if (!TOPIC_NAME.test(name)) throw new FaError(`--topic ${entry}: "${name}" is not a legal Kafka topic name`)
    out[key as keyof typeof defaultTopics] = name
  }
  return out
}
