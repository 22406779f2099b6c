import type {Config} from '../config/schema.js'

/** The transactional id of one instance: prefix, group and instance, e.g. `fa-enrich-fa-enrich-host1`. */
export function transactionalIdFor(config: Config, group: string, instance: string): string {
  return `${config.enrich.transactionalIdPrefix}-${group}-${instance}`
}
