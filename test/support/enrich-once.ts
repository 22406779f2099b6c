// runEnrich in-process over a test config: one drain from the beginning to the end offsets, in a group
// of the test's own.
import {buildTopology} from '../../src/lib/alerts/topology.js'
import {loadConfig} from '../../src/lib/config/load.js'
import type {EnrichResult} from '../../src/lib/enrich/options.js'
import {runEnrich} from '../../src/lib/enrich/run.js'
import type {Topology} from '../../src/lib/pipeline/topology.js'
import type {TestConfig} from './fa-process.js'

export async function enrichOnce(
  cfg: TestConfig,
  env: NodeJS.ProcessEnv,
  {exactlyOnce = false}: {exactlyOnce?: boolean} = {},
): Promise<{result: EnrichResult; topology: Topology}> {
  const loaded = await loadConfig(cfg.file, env)
  const topology = await buildTopology(loaded)
  const result = await runEnrich({
    config: loaded.config,
    topology,
    group: `${cfg.prefix}g`,
    from: 'earliest',
    exactlyOnce,
    progress: false,
    env,
  })
  return {result, topology}
}
