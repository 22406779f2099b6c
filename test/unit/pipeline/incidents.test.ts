import {describe, expect, it} from 'vitest'
import {z} from 'zod'

import {builtInAlerts} from '../../../src/lib/alerts/registry.js'
import {defaultTopics} from '../../../src/lib/config/schema.js'
import {Mrkdwn} from '../../../src/lib/pipeline/content.js'
import {MemoryStateStore} from '../../../src/lib/pipeline/state.js'
import {stream} from '../../../src/lib/pipeline/stream.js'
import {Summary} from '../../../src/lib/pipeline/summary.js'
import {defineTable, TableStore} from '../../../src/lib/pipeline/table.js'
import {Topology, type Outcome} from '../../../src/lib/pipeline/topology.js'
import {buildSlackMessage, type SlackMessage} from '../../../src/lib/slack/blocks.js'
import {assignment, failure, rec, slackUser} from '../../support/records.js'

const owners = defineTable({name: 'owners', topic: 'owners', description: '', schema: z.object({user: z.string()})})

/** Device alarms: incidents per device, an hour long, cleared by an `ok` event; owners joined by site. */
const alarm = stream('alarm', 'alarms')
  .incidents({
    key: ({event}) => event.device,
    window: '1h',
    resolve: {when: ({event}) => event.state === 'ok', status: ({event}) => event.state},
  })
  .filter(({event}) => event.state === 'alarm')
  .selectKey(({event}) => event.site, 'site')
  .join(owners, {key: ({key}) => key, as: 'owner', missing: 'no-owner'})
  .message(({event, owner}) => ({
    recipient: owner.user,
    header: `Alarm on ${String(event.device)}`,
    text: new Mrkdwn(String(event.error ?? '')),
  }))
  .to('out')

const T0 = Date.UTC(2026, 10, 24, 10)
const at = (ms: number) => new Date(T0 + ms).toISOString()
const MIN = 60_000
const HOUR = 60 * MIN

const event = (ms: number | undefined, value: Record<string, unknown>) => {
  const record = rec('alarms', null, {site: 's1', device: 'd1', state: 'alarm', ...value})
  if (ms === undefined) delete record.timestamp
  else record.timestamp = at(ms)
  return record
}

/** A core over the alarm type with the owner of site s1 known; returns what each record comes to. */
function runner(options: ConstructorParameters<typeof Topology>[3] = {}) {
  const core = new Topology([alarm], {}, buildSlackMessage, options)
  const tables = new TableStore()
  const state = new MemoryStateStore()
  core.process(rec('owners', 's1', {user: 'U1'}), tables, state)
  const run = (record: ReturnType<typeof rec>): Outcome => core.process(record, tables, state)[0]!
  return {core, tables, state, run}
}

const message = (outcome: Outcome) =>
  (outcome as unknown as {output: {value: SlackMessage & {revision?: number}}}).output.value
const small = (outcome: Outcome) =>
  (message(outcome).blocks.find((b) => b.type === 'context')?.elements as Array<{text: string}> | undefined)?.map(
    (e) => e.text,
  )

describe('incidents', () => {
  it('posts once per incident: repeats within the window are updates of that alert, with the next revisions', () => {
    const {run} = runner()
    const first = run(event(0, {error: 'e1'}))
    const second = run(event(10 * MIN, {error: 'e2'}))
    const third = run(event(20 * MIN, {error: 'e3'}))
    expect(first).toMatchObject({kind: 'alert', incident: true})
    expect(second).toMatchObject({kind: 'update', alertId: (first as {alertId: string}).alertId, revision: 1})
    expect(third).toMatchObject({kind: 'update', revision: 2, resolved: false})
    const update = third as Extract<Outcome, {kind: 'update'}>
    expect(update.output).toMatchObject({
      key: update.alertId,
      headers: {'fa-revision': '2', 'fa-alert-id': update.alertId},
    })
    expect(message(third)).toMatchObject({alertId: update.alertId, revision: 2, text: 'e3'})
    expect(small(third)).toEqual([`Seen 3 times: first ${at(0)}, last ${at(20 * MIN)}.`])
    expect(message(first).revision).toBeUndefined()
  })

  it('the window runs from the first event: one just before its end updates, one exactly at its end opens a new incident', () => {
    const {run} = runner()
    const first = run(event(0, {})) as {alertId: string}
    expect(run(event(HOUR - 1, {}))).toMatchObject({kind: 'update', alertId: first.alertId, revision: 1})
    const next = run(event(HOUR, {eventId: 'later'}))
    expect(next).toMatchObject({kind: 'alert', incident: true})
    expect((next as {alertId: string}).alertId).not.toBe(first.alertId)
    // The new incident's window runs from its own first event.
    expect(run(event(2 * HOUR - 1, {}))).toMatchObject({kind: 'update', alertId: (next as {alertId: string}).alertId})
  })

  it('a resolving event closes the open incident with a final update; the next failure opens a new one inside the window', () => {
    const {run, state} = runner()
    const first = run(event(0, {error: 'e1'})) as {alertId: string}
    const resolved = run(event(5 * MIN, {state: 'ok'}))
    expect(resolved).toMatchObject({kind: 'update', alertId: first.alertId, revision: 1, resolved: true})
    expect(message(resolved).blocks[0]).toMatchObject({text: {text: 'Resolved: Alarm on d1'}})
    expect(message(resolved).text).toBe(`✅ *Resolved* at ${at(5 * MIN)}.\ne1`)
    expect(small(resolved)![0]).toBe(`Resolved at ${at(5 * MIN)}, now ok.`)
    expect(state.size('alarm/incident')).toBe(0)
    const again = run(event(6 * MIN, {eventId: 'again'}))
    expect(again).toMatchObject({kind: 'alert', incident: true})
    expect((again as {alertId: string}).alertId).not.toBe(first.alertId)
  })

  it('events without an eventId: each new incident has an alert id of its own, though its value repeats an earlier one', () => {
    const {run} = runner()
    const first = run(event(0, {})) as {alertId: string}
    run(event(5 * MIN, {state: 'ok'}))
    // The same failure again, after the resolution and after the window: new incidents, new DMs.
    const afterResolution = run(event(10 * MIN, {})) as {alertId: string}
    const afterWindow = run(event(10 * MIN + HOUR, {})) as {alertId: string}
    expect(afterResolution).toMatchObject({kind: 'alert', incident: true})
    expect(afterWindow).toMatchObject({kind: 'alert', incident: true})
    expect(new Set([first.alertId, afterResolution.alertId, afterWindow.alertId]).size).toBe(3)
    // Still deterministic: the same records give the same ids on another run.
    const again = runner().run(event(0, {})) as {alertId: string}
    expect(again.alertId).toBe(first.alertId)
  })

  it('a resolving event with no open incident does nothing, also after the window has passed', () => {
    const {run} = runner()
    expect(run(event(0, {state: 'ok'}))).toEqual({
      kind: 'dropped',
      pipeline: 'alarm',
      reason: 'no-open-incident',
      detail: 'no open incident for key "d1"',
    })
    const opened = run(event(MIN, {})) as {alertId: string}
    // --explain says why: here, the incident's window had closed.
    expect(run(event(MIN + HOUR, {state: 'ok'}))).toMatchObject({
      kind: 'dropped',
      reason: 'no-open-incident',
      detail: `the incident for key "d1" (${opened.alertId}) closed its window at ${at(MIN + HOUR)}`,
    })
    expect(run(event(MIN + HOUR + 1, {eventId: 'new'}))).toMatchObject({kind: 'alert'})
  })

  it('events dropped or dead-lettered on the way touch no incident', () => {
    const {run, state} = runner()
    expect(run(event(0, {site: 'nowhere'}))).toMatchObject({kind: 'dropped', reason: 'no-owner'})
    expect(run(event(MIN, {site: undefined}))).toMatchObject({kind: 'dead-letter', reason: 'no site'})
    expect(run(event(2 * MIN, {state: 'warn'}))).toMatchObject({kind: 'dropped', reason: 'filtered'})
    expect(state.size('alarm/incident')).toBe(0)
    expect(run(event(3 * MIN, {}))).toMatchObject({kind: 'alert', incident: true})
  })

  it('out-of-order events: a late one counts and moves first seen, but never replaces the newer content', () => {
    const {run} = runner()
    run(event(30 * MIN, {error: 'newest'}))
    const late = run(event(10 * MIN, {error: 'older'}))
    expect(late).toMatchObject({kind: 'update', revision: 1})
    expect(message(late).text).toBe('newest')
    expect(small(late)).toEqual([`Seen 2 times: first ${at(10 * MIN)}, last ${at(30 * MIN)}.`])
    // A recovery older than the last failure does not close it.
    expect(run(event(20 * MIN, {state: 'ok'}))).toMatchObject({
      kind: 'dropped',
      reason: 'no-open-incident',
      detail: expect.stringMatching(
        new RegExp(`^the incident for key "d1" \\(fa-\\w+\\) has a later event, at ${at(30 * MIN)}$`),
      ),
    })
    expect(run(event(40 * MIN, {state: 'ok'}))).toMatchObject({kind: 'update', resolved: true, revision: 2})
  })

  it('the window can be set per alert type; a window for a type without incidents is refused', () => {
    const {run} = runner({incidentWindows: {alarm: 10 * MIN}})
    run(event(0, {}))
    expect(run(event(10 * MIN, {eventId: 'x'}))).toMatchObject({kind: 'alert'})
    expect(() => new Topology([alarm], {}, buildSlackMessage, {incidentWindows: {other: 1}})).toThrow(
      /no enabled alert type of that name declares incidents/,
    )
    expect(() => stream('x', 'y').incidents({key: () => 'k', window: 'soon'})).toThrow(/not a duration/)
  })

  it('expire() deletes the incidents whose windows closed a grace (the window) ago by stream time', () => {
    const {core, run, state} = runner()
    run(event(0, {device: 'a'}))
    run(event(30 * MIN, {device: 'b'}))
    expect(core.expire(state, () => T0 + 2 * HOUR - 1)).toBe(0)
    // Still kept: a late event inside a's window is an update, whatever moved stream time on.
    expect(run(event(59 * MIN, {device: 'a', eventId: 'late'}))).toMatchObject({kind: 'update'})
    expect(core.expire(state, () => T0 + 2 * HOUR)).toBe(1)
    expect(state.size('alarm/incident')).toBe(1)
    expect(run(event(40 * MIN, {device: 'b'}))).toMatchObject({kind: 'update'})
  })

  it('the summary counts incidents opened, updates and resolutions, and merges them', () => {
    const {run} = runner()
    const summary = new Summary()
    for (const ms of [0, MIN, 2 * MIN]) summary.add([run(event(ms, {}))])
    summary.add([run(event(3 * MIN, {state: 'ok'}))])
    expect(summary.pipelines.alarm).toMatchObject({alerts: 1, incidents: 1, updates: 3, resolved: 1})
    const total = new Summary()
    total.merge(summary.counts())
    total.merge(summary.counts())
    expect(total.totals).toMatchObject({alerts: 2, incidents: 2, updates: 6, resolved: 2})
  })
})

describe('connector-provisioning-failed incidents', () => {
  const core = () => new Topology([...builtInAlerts], defaultTopics, buildSlackMessage)
  const seeded = [assignment('org-1', 'jane@example.com'), slackUser('jane@example.com', 'U1')]

  it('groups failures per connector id; Running (any case) from the same connector resolves, even unfiltered', () => {
    const topology = core()
    const tables = new TableStore()
    const state = new MemoryStateStore()
    for (const record of seeded) topology.process(record, tables, state)
    const run = (value: Record<string, unknown>) => topology.process(failure('org-1', value), tables, state)[0]
    expect(run({})).toMatchObject({kind: 'alert', incident: true})
    expect(run({connectorId: 'lcc-2'})).toMatchObject({kind: 'alert', incident: true})
    expect(run({errorMessage: 'again'})).toMatchObject({kind: 'update', revision: 1})
    expect(run({oldStatus: 'Failed', newStatus: 'RUNNING'})).toMatchObject({
      kind: 'update',
      revision: 2,
      resolved: true,
    })
    expect(run({connectorId: 'lcc-2', oldStatus: 'Provisioning', newStatus: 'running'})).toMatchObject({
      kind: 'update',
      revision: 1,
      resolved: true,
    })
  })
})
