// runEnrich in-process over a test config, in a group of the test's own, from the beginning: one
// drain to the end offsets (enrichOnce), or a run with options of the test's (enrichRun: following).
import {buildTopology} from '../../src/lib/alerts/topology.js'
import {loadConfig} from '../../src/lib/config/load.js'
import type {EnrichOptions, EnrichResult} from '../../src/lib/enrich/options.js'
import {runEnrich} from '../../src/lib/enrich/run.js'
import type {Topology} from '../../src/lib/pipeline/topology.js'
import type {TestConfig} from './fa-process.js'

/** Starts runEnrich over `cfg` (its topology, its group `<prefix>g`, from earliest, no progress bar), with `options` on top. */
export async function enrichRun(
  cfg: TestConfig,
  env: NodeJS.ProcessEnv,
  options: Partial<EnrichOptions> = {},
): Promise<{running: Promise<EnrichResult>; topology: Topology}> {
  const loaded = await loadConfig(cfg.file, env)
  const topology = await buildTopology(loaded)
  const running = runEnrich({
    config: loaded.config,
    topology,
    group: `${cfg.prefix}g`,
    from: 'earliest',
    progress: false,
    env,
    ...options,
  })
  return {running, topology}
}

export async function enrichOnce(
  cfg: TestConfig,
  env: NodeJS.ProcessEnv,
  {exactlyOnce = false}: {exactlyOnce?: boolean} = {},
): Promise<{result: EnrichResult; topology: Topology}> {
  const {running, topology} = await enrichRun(cfg, env, {exactlyOnce})
  return {result: await running, topology}
}
