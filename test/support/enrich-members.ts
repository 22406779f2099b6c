// `fa enrich` members of one test's consumer group, for the tests that kill, restart or rescale
// them while events flow (test/kafka/enrich/crash*, scale-out*): started with the same flags,
// stopped or killed, the rebalancing join-and-leave, and the final drain that follows.
import {expect} from 'vitest'

import {runFa} from './cli.js'
import {startFa, type FaProcess, type TestConfig} from './fa-process.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export interface EnrichMembers {
  /** Starts `fa enrich --follow` in the group with `flags` (e.g. --exactly-once --instance a); does not wait. */
  start(flags: string[]): FaProcess
  /** Starts one and resolves once it joined the group. */
  joined(flags: string[]): Promise<FaProcess>
  /** SIGTERM, and a clean exit (code 0). */
  stop(fa: FaProcess): Promise<void>
  /** SIGKILL: gone without a goodbye. */
  kill(fa: FaProcess): Promise<void>
  /** The last incarnation: a cron run with `flags` to the end offsets; its --json summary (exit 0 checked). */
  drain(flags: string[]): Promise<{lag: {total: number}}>
}

export function enrichMembers(o: {
  cfg: TestConfig
  group: string
  env: NodeJS.ProcessEnv
  /** The test file's runningProcesses(): whatever is left is killed at its end. */
  running: Set<FaProcess>
}): EnrichMembers {
  const {cfg, group, env, running} = o
  const members: EnrichMembers = {
    start(flags) {
      const fa = startFa(['enrich', '--from', 'earliest', '--follow', '-c', cfg.file, '--group', group, ...flags], env)
      running.add(fa)
      return fa
    },
    async joined(flags) {
      const fa = members.start(flags)
      await fa.waitForLog((l) => l.msg === 'joined the group', 60_000)
      return fa
    },
    async stop(fa) {
      fa.child.kill('SIGTERM')
      const {code} = await fa.exited
      running.delete(fa)
      expect(code, fa.stderr()).toBe(0)
    },
    async kill(fa) {
      fa.child.kill('SIGKILL')
      await fa.exited
      running.delete(fa)
    },
    async drain(flags) {
      const final = await runFa(
        ['enrich', '--from', 'earliest', '-c', cfg.file, '--group', group, '--json', ...flags],
        {
          env,
        },
      )
      expect(final.code, final.stderr).toBe(0)
      return JSON.parse(final.stdout)
    },
  }
  return members
}

/**
 * Rebalances with work in flight: a alone; b joins (a gives up partitions mid-stream); a leaves
 * (b takes them all); c joins. `flags(instance)` are each member's flags.
 */
export async function joinAndLeave(
  members: EnrichMembers,
  flags: (instance: string) => string[],
): Promise<{a: FaProcess; b: FaProcess; c: FaProcess}> {
  const a = await members.joined(flags('a'))
  await sleep(1_500)
  const b = await members.joined(flags('b'))
  await sleep(2_000)
  await members.stop(a)
  await sleep(1_500)
  const c = await members.joined(flags('c'))
  return {a, b, c}
}
