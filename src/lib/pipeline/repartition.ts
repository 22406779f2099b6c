import type {TopicRecord} from '../records/record.js'
import {StateElsewhere, type StateStore} from './state.js'
import type {AlertType} from './stream.js'
import type {TableStore} from './table.js'
import type {Outcome, Topology} from './topology.js'

/** Thrown by the probe at the first state access: the rest of the run (its message) would be thrown away. */
const TOUCHED = new StateElsewhere('the record touches state')

/** Whether the state of `key` is here (its repartition partition is this member's): its record needs no trip. */
export type KeyHere = (alert: AlertType, key: string) => boolean

/**
 * A state store that holds nothing and notes the first key asked for. An alert type run on it
 * either never touches state, so its outcome is the same whatever the state holds (a record the
 * filter drops, one without a state key, one that is not JSON), or names the state key its
 * record belongs to: incidents and histories look their key up before anything else. The run
 * stops there (the core turns the throw into a stand-in outcome, which the router drops), unless
 * that key's state is here: then the run goes on on the state, as it would after the trip.
 */
export class StateProbe implements StateStore {
  key: string | undefined
  private here: StateStore | undefined

  constructor(
    private readonly state: StateStore,
    private readonly alert: AlertType,
    private readonly keyHere?: KeyHere,
  ) {}

  get(namespace: string, key: string): unknown {
    return this.storeFor(key).get(namespace, key)
  }

  put(namespace: string, key: string, value: unknown): void {
    this.storeFor(key).put(namespace, key, value)
  }

  delete(namespace: string, key: string): void {
    this.storeFor(key).delete(namespace, key)
  }

  entries(namespace: string): Iterable<[string, unknown]> {
    return this.here?.entries(namespace) ?? []
  }

  /** Decided at the first access: the state, for a key that is here; otherwise the run stops. */
  private storeFor(key: string): StateStore {
    if (this.here) return this.here
    if (this.key === undefined && this.keyHere?.(this.alert, key)) return (this.here = this.state)
    this.key ??= key
    throw TOUCHED
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
 * the state key it touched; the rest run as they would anywhere, as do those whose key is here
 * (`keyHere`), on the state. The same outcomes as `Topology.process`, once the keyed ones are run
 * on their key's state.
 */
export function routeByState(
  topology: Topology,
  record: TopicRecord,
  tables: TableStore,
  state: StateStore,
  repartitioned: ReadonlySet<AlertType>,
  keyHere?: KeyHere,
): Routed {
  const alerts = topology.alertTypesOf(record.topic)
  // By the alert type's index; most records (filtered) touch no state and come back as they are.
  let probes: Array<StateProbe | undefined> | undefined
  const all = topology.process(record, tables, (alert) => {
    if (!repartitioned.has(alert)) return state
    const probe = new StateProbe(state, alert, keyHere)
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
