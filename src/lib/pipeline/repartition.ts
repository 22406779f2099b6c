import type {TopicRecord} from '../records/record.js'
import {StateElsewhere, type StateStore} from './state.js'
import type {AlertType} from './stream.js'
import type {TableStore} from './table.js'
import type {Outcome, Topology} from './topology.js'

/** Thrown by the probe at the first state access: the rest of the run (its message) would be thrown away. */
const TOUCHED = new StateElsewhere('the record touches state')

/**
 * A state store that holds nothing and notes the first key asked for. An alert type run on it
 * either never touches state, so its outcome is the same whatever the state holds (a record the
 * filter drops, one without a state key, one that is not JSON), or names the state key its
 * record belongs to: incidents and histories look their key up before anything else. The run
 * stops there (the core turns the throw into a stand-in outcome, which the router drops).
 */
export class StateProbe implements StateStore {
  key: string | undefined

  get(_namespace: string, key: string): never {
    this.key ??= key
    throw TOUCHED
  }

  put(_namespace: string, key: string): never {
    return this.get(_namespace, key)
  }

  delete(_namespace: string, key: string): never {
    return this.get(_namespace, key)
  }

  entries(): Iterable<[string, unknown]> {
    return []
  }
}

export interface Routed {
  /** Outcomes that are final here: every alert type not repartitioned, and those whose record touches no state. */
  outcomes: Outcome[]
  /** Repartitioned alert types whose outcome depends on the state under `key`: the record goes to that key's owner. */
  keyed: Array<{alert: AlertType; key: string}>
}

/**
 * The first stage of a record whose source feeds repartitioned alert types (enrich's stateful
 * ones): each of those runs on a probe, and only a record that touches state is handed on, under
 * the state key it touched; the rest run as they would anywhere. The same outcomes as
 * `Topology.process`, once the keyed ones are run on their key's state.
 */
export function routeByState(
  topology: Topology,
  record: TopicRecord,
  tables: TableStore,
  state: StateStore,
  repartitioned: ReadonlySet<AlertType>,
): Routed {
  const alerts = topology.alertTypesOf(record.topic)
  // By the alert type's index; most records (filtered) touch no state and come back as they are.
  let probes: Array<StateProbe | undefined> | undefined
  const all = topology.process(record, tables, (alert) => {
    if (!repartitioned.has(alert)) return state
    const probe = new StateProbe()
    ;(probes ??= [])[alerts.indexOf(alert)] = probe
    return probe
  })
  if (!probes?.some((probe) => probe?.key !== undefined)) return {outcomes: all, keyed: []}
  const outcomes: Outcome[] = []
  const keyed: Routed['keyed'] = []
  all.forEach((outcome, i) => {
    const key = probes![i]?.key
    if (key === undefined) outcomes.push(outcome)
    else keyed.push({alert: alerts[i]!, key})
  })
  return {outcomes, keyed}
}
