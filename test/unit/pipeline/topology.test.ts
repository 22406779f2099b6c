import {describe, expect, it} from 'vitest'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology, type Outcome} from '../../../src/lib/pipeline/topology.js'
import {Header} from '../../../src/lib/records/headers.js'
import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {assignment, failure, rec, slackUser} from '../../support/records.js'

const topology = () => new Topology([...builtInAlerts], defaultTopics, buildSlackMessage)

/** Runs records in order through a fresh core and returns the outcomes of the last one. */
function run(...records: ReturnType<typeof rec>[]): Outcome[] {
  const core = topology()
  const tables = new TableStore()
  const state = new MemoryStateStore()
  let last: Outcome[] = []
  for (const record of records) last = core.process(record, tables, state)
  return last
}

const seeded = [assignment('org-1', 'jane@example.com'), slackUser('jane@example.com', 'U1')]

function alertOf(outcomes: Outcome[]): SlackMessage {
  expect(outcomes).toHaveLength(1)
  const [outcome] = outcomes
  if (outcome?.kind !== 'alert') throw new Error(`expected an alert, got ${JSON.stringify(outcome)}`)
  return outcome.output.value as unknown as SlackMessage
}

function deadLetterReason(outcomes: Outcome[]): string {
  const [outcome] = outcomes
  if (outcome?.kind !== 'dead-letter') throw new Error(`expected a dead letter, got ${JSON.stringify(outcome)}`)
  return outcome.reason
}

describe('connector-provisioning-failed', () => {
  it('alerts the assigned CSDR by Slack user id', () => {
    const message = alertOf(run(...seeded, failure('org-1', {})))
    expect(message.channel).toBe('U1')
    expect(message.text).toContain('orders-cdc')
    expect(message.text).toContain('lcc-1')
    expect(message.text).toContain('Org org-1')
    expect(message.text).toContain('org-1')
    expect(message.blocks[0]).toMatchObject({type: 'header'})
  })

  it('ends the small print with one full stop, also after an org name that has its own', () => {
    const context = (orgName: string) => {
      const message = alertOf(
        run(
          assignment('org-1', 'jane@example.com', {orgName, csdrName: 'Jane'}),
          slackUser('jane@example.com', 'U1'),
          failure('org-1', {eventId: 'evt-9'}),
        ),
      )
      return (message.blocks.at(-1) as unknown as {elements: Array<{text: string}>}).elements[0]!.text
    }
    expect(context('Acme Inc.')).toBe('Sent to Jane as the account team member for Acme Inc. Event evt-9.')
    expect(context('Acme')).toBe('Sent to Jane as the account team member for Acme. Event evt-9.')
  })

  it.each(['Provisioning', 'PROVISIONING', 'provisioning'])('keeps oldStatus %s (case-insensitive)', (oldStatus) => {
    alertOf(run(...seeded, failure('org-1', {oldStatus})))
  })

  it.each(['Running', 'Provisioned', '', undefined])('filters oldStatus %s', (oldStatus) => {
    expect(run(...seeded, failure('org-1', {oldStatus}))).toEqual([
      {
        kind: 'dropped',
        pipeline: 'connector-provisioning-failed',
        reason: 'filtered',
        // --explain names the step and shows the predicate's source.
        detail: expect.stringMatching(/^by step 1: filter\(\(\{ ?event ?\}\) => typeof event\.oldStatus/),
      },
    ])
  })

  it('filters before validating: a non-provisioning event without connectorId is not an error', () => {
    expect(run(...seeded, failure('org-1', {oldStatus: 'Running', connectorId: undefined}))[0]).toMatchObject({
      kind: 'dropped',
      reason: 'filtered',
    })
  })

  it('takes the org from the record key, else from value.orgId', () => {
    alertOf(run(...seeded, failure(null, {orgId: 'org-1'})))
    alertOf(run(...seeded, failure('', {orgId: 'org-1'})))
    // The key wins over value.orgId.
    expect(run(...seeded, failure('org-2', {orgId: 'org-1'}))[0]).toMatchObject({kind: 'dropped', reason: 'unassigned'})
  })

  it('dead-letters an event with neither key nor orgId', () => {
    expect(deadLetterReason(run(...seeded, failure(null, {orgId: undefined})))).toMatch(/no org id/)
  })

  it.each([undefined, '', 42])('dead-letters connectorId %s, naming the field', (connectorId) => {
    expect(deadLetterReason(run(...seeded, failure('org-1', {connectorId})))).toMatch(/^connectorId: /)
  })

  it.each([
    ['{oops', /not valid JSON/],
    ['[1,2]', /JSON array, expected a JSON object/],
    ['"text"', /JSON string/],
    [null, /tombstone/],
    [new Uint8Array([0xff, 0xfe]), /not valid JSON/],
  ])('dead-letters value %s', (value, reason) => {
    expect(deadLetterReason(run(...seeded, rec('data-notifications-pipeline', 'org-1', value as never)))).toMatch(
      reason,
    )
  })

  it('accepts a JSON object given as raw bytes', () => {
    const value = Buffer.from(JSON.stringify({connectorId: 'c', oldStatus: 'Provisioning'}))
    alertOf(run(...seeded, rec('data-notifications-pipeline', 'org-1', value)))
  })

  it('drops unassigned orgs and CSDRs without a Slack user', () => {
    expect(run(...seeded, failure('org-2', {}))[0]).toMatchObject({kind: 'dropped', reason: 'unassigned'})
    expect(
      run(assignment('org-1', 'nobody@example.com'), slackUser('jane@example.com', 'U1'), failure('org-1', {}))[0],
    ).toMatchObject({
      kind: 'dropped',
      reason: 'no-slack-user',
    })
  })

  it('matches emails case-insensitively and ignoring surrounding whitespace, on both sides', () => {
    expect(
      alertOf(
        run(assignment('org-1', '  Jane@Example.COM '), slackUser(' JANE@example.com', 'U1'), failure('org-1', {})),
      ).channel,
    ).toBe('U1')
  })

  it.each([null, ''])('dead-letters a table record keyed %j: rows are keyed by the record key only', (key) => {
    const keyless = {...slackUser('x', 'U9'), key, value: {email: 'jane@example.com', slackUserId: 'U9'}}
    const [applied, event] = [run(keyless), run(assignment('org-1', 'jane@example.com'), keyless, failure('org-1', {}))]
    expect(deadLetterReason(applied)).toBe(
      'table slack-users record has no key: a table row is keyed by its record key only (set "key")',
    )
    expect(event[0]).toMatchObject({kind: 'dropped', reason: 'no-slack-user'})
  })

  it('applies table upserts and tombstones to later events only', () => {
    const core = topology()
    const tables = new TableStore()
    const state = new MemoryStateStore()
    const outcomes = [
      ...seeded,
      failure('org-1', {connectorId: 'lcc-a'}),
      slackUser('bob@example.com', 'U2'),
      assignment('org-1', 'bob@example.com'),
      failure('org-1', {connectorId: 'lcc-b'}),
      rec('data-csdr-assignment', 'org-1', null),
      failure('org-1', {connectorId: 'lcc-c'}),
      rec('data-slack-users', 'BOB@example.com', null),
      assignment('org-1', 'bob@example.com'),
      failure('org-1', {connectorId: 'lcc-d'}),
    ].map((record) => core.process(record, tables, state))
    const events = outcomes
      .filter((o) => o[0]?.kind !== 'table')
      .map((o) =>
        o[0]!.kind === 'alert' ? (o[0]!.output.value as any).channel : o[0]!.kind === 'dropped' ? o[0]!.reason : '?',
      )
    expect(events).toEqual(['U1', 'U2', 'unassigned', 'no-slack-user'])
  })

  it('does not deduplicate: the same event twice is one incident, an alert then its update', () => {
    const core = topology()
    const tables = new TableStore()
    const state = new MemoryStateStore()
    for (const record of seeded) core.process(record, tables, state)
    const event = failure('org-1', {eventId: 'evt-same'})
    const [a] = core.process(event, tables, state)
    const [b] = core.process(event, tables, state)
    expect(a).toMatchObject({kind: 'alert', incident: true})
    expect(b).toMatchObject({kind: 'update', alertId: (a as {alertId: string}).alertId, revision: 1, resolved: false})
  })

  it('gives deterministic alert ids: from eventId, else from the record', () => {
    const id = (o: Outcome[]) => (o[0]!.kind === 'alert' ? o[0]!.alertId : '')
    const a = id(run(...seeded, failure('org-1', {eventId: 'evt-1'})))
    expect(a).toMatch(/^fa-[0-9a-f]{32}$/)
    expect(id(run(...seeded, failure('org-1', {eventId: 'evt-1', errorMessage: 'other'})))).toBe(a)
    expect(id(run(...seeded, failure('org-1', {eventId: 'evt-2'})))).not.toBe(a)
    const noId = () => id(run(...seeded, failure('org-1', {eventId: undefined, occurredAt: 't1'})))
    expect(noId()).toBe(noId())
    expect(noId()).not.toBe(id(run(...seeded, failure('org-1', {eventId: undefined, occurredAt: 't2'}))))
  })

  it('puts the alert id in the key and a header, with the source position', () => {
    const [outcome] = run(...seeded, failure('org-1', {}))
    if (outcome?.kind !== 'alert') throw new Error('expected an alert')
    expect(outcome.output.topic).toBe('slack-messages')
    expect(outcome.output.key).toBe(outcome.alertId)
    expect(outcome.output.headers).toMatchObject({
      [Header.alertId]: outcome.alertId,
      [Header.sourceTopic]: 'data-notifications-pipeline',
      [Header.sourceFile]: 'test.jsonl',
    })
    expect((outcome.output.value as any).alertId).toBe(outcome.alertId)
  })
})

describe('dead letters', () => {
  it('keep the original key, bytes and headers, and say why and where', () => {
    const source = rec('data-notifications-pipeline', 'org-1', '{oops', {trace: 'abc'})
    const [outcome] = run(source)
    if (outcome?.kind !== 'dead-letter') throw new Error('expected a dead letter')
    expect(outcome.output).toMatchObject({
      topic: 'fa-dead-letters',
      key: 'org-1',
      value: '{oops',
      timestamp: source.timestamp,
    })
    expect(outcome.output.headers).toMatchObject({
      trace: 'abc',
      [Header.error]: expect.stringMatching(/not valid JSON/),
      [Header.pipeline]: 'connector-provisioning-failed',
      [Header.sourceTopic]: 'data-notifications-pipeline',
      [Header.sourceLine]: String((source.origin as {line: number}).line),
    })
  })

  it('carry Kafka partition and offset for Kafka records', () => {
    const source = {
      ...rec('data-notifications-pipeline', 'org-1', '{'),
      origin: {kind: 'kafka' as const, partition: 2, offset: '41'},
    }
    const [outcome] = run(source)
    expect(outcome?.kind === 'dead-letter' && outcome.output.headers).toMatchObject({
      [Header.sourcePartition]: '2',
      [Header.sourceOffset]: '41',
    })
  })

  it('catch bad table records', () => {
    expect(deadLetterReason(run(rec('data-csdr-assignment', 'org-1', {orgId: 'org-1'})))).toMatch(/csdrEmail/)
    expect(deadLetterReason(run(rec('data-csdr-assignment', null, null)))).toMatch(/tombstone .* no key/)
    expect(deadLetterReason(run(rec('data-slack-users', 'a@b', '{')))).toMatch(/not valid JSON/)
  })

  it('catch a failing alert type without stopping the others', () => {
    const broken = {
      ...builtInAlerts[0]!,
      name: 'broken',
      message: () => {
        throw new Error('kaput')
      },
    }
    const core = new Topology([broken, {...builtInAlerts[0]!, name: 'fine'}], defaultTopics, buildSlackMessage)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    for (const record of seeded) core.process(record, tables, state)
    const outcomes = core.process(failure('org-1', {}), tables, state)
    expect(outcomes.map((o) => o.kind)).toEqual(['dead-letter', 'alert'])
    expect(deadLetterReason(outcomes)).toMatch(/alert type broken failed: kaput/)
  })
})

describe("an alert type's message", () => {
  /** The dead letter of a failure whose alert type's message() returns `content`. */
  const reasonFor = (content: unknown) => {
    const alert = {...builtInAlerts[0]!, incidents: undefined, name: 'mine', message: () => content as never}
    const core = new Topology([alert], defaultTopics, buildSlackMessage)
    const tables = new TableStore()
    const state = new MemoryStateStore()
    for (const record of seeded) core.process(record, tables, state)
    return deadLetterReason(core.process(failure('org-1', {}), tables, state))
  }
  const md = {text: 'hi'}

  // A module in plain JavaScript has no types to catch these: the dead letter names the field.
  it.each([
    [undefined, 'message() must return an object, not undefined'],
    [{header: 'x', text: md}, 'message(): recipient must be a Slack user or channel id, not undefined'],
    [{recipient: 'U1', header: 'x', text: 'plain'}, 'message(): text must be made with md`…`, not a string'],
    [{recipient: 'U1', header: 3, text: md}, 'message(): header must be a string, not a number'],
    [{recipient: 'U1', header: 'x', text: md, fields: {a: 1}}, 'message(): fields must be an array of {label, value}'],
    [{recipient: 'U1', header: 'x', text: md, fields: [{value: 1}]}, 'message(): fields[0].label must be a string'],
    [
      {recipient: 'U1', header: 'x', text: md, detail: {label: 'E'}},
      'message(): detail must be {label, value}, strings',
    ],
    [{recipient: 'U1', header: 'x', text: md, context: 'small'}, 'message(): context must be an array of strings'],
  ])('that is not alert content is a dead letter naming the field (%j)', (content, reason) => {
    expect(reasonFor(content)).toBe(`alert type mine failed: ${reason}`)
  })
})

describe('onboarding-started', () => {
  it('DMs the account owner about a new customer', () => {
    const event = rec('data-onboarding-events', 'org-1', {
      eventId: 'onb-1',
      orgId: 'org-1',
      orgName: 'Acme',
      eventType: 'onboarding_started',
      startedAt: '2026-11-24T10:00:00Z',
      plan: 'Standard',
    })
    const message = alertOf(run(...seeded, event))
    expect(message.channel).toBe('U1')
    expect(message.text).toContain('Acme')
    expect(message.text).toContain('Standard')
    expect(run(...seeded, {...event, value: {...(event.value as object), eventType: 'other'}})[0]).toMatchObject({
      kind: 'dropped',
      reason: 'filtered',
    })
  })
})

describe('topology', () => {
  it('resolves renamed topics from the config', () => {
    const core = new Topology(
      [...builtInAlerts],
      {
        ...defaultTopics,
        notifications: 'staging.notifications',
        slackMessages: 'staging.slack',
      },
      buildSlackMessage,
    )
    expect(core.sourceTopics).toContain('staging.notifications')
    const tables = new TableStore()
    const state = new MemoryStateStore()
    for (const record of seeded) core.process(record, tables, state)
    const [outcome] = core.process({...failure('org-1', {}), topic: 'staging.notifications'}, tables, state)
    expect(outcome?.kind === 'alert' && outcome.output.topic).toBe('staging.slack')
  })

  it('counts records on topics no pipeline reads', () => {
    expect(run(rec('something-else', null, {}))).toEqual([{kind: 'unrouted', pipeline: null, topic: 'something-else'}])
  })
})
