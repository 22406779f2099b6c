// What the `fa send` crash tests (test/kafka/send/crash*) share: a Slack test server and a send
// config on it, `fa send --follow` killed with -9 and restarted while alerts flow, a graceful stop
// at the end, and a steady flow of alerts onto slack-messages.
import type {Kafka} from 'kafkajs'
import {afterAll, expect} from 'vitest'

import type {SlackMessage} from '../../src/lib/slack/blocks.js'
import {produceAlerts, sendConfig, startFa, TOKEN, type FaProcess, type SendConfig} from './send.js'
import {startSlackServer, type SlackServer} from './slack-server.js'

/** A run that holds partitions (not one that joined with none). */
const joined = (line: Record<string, unknown>) => line.msg === 'joined the group' && line.partitions !== '(none)'

export interface SendCrashRig {
  /** The Slack test server of the test running now. */
  slack: SlackServer
  /** The `fa send` running now, if any. */
  proc: FaProcess | undefined
  /** A Slack test server at `rate` (replacing the last one) and a config of its own on it: topics, group, the same rate. */
  open(what: string, rate: {perSecond: number; burst: number}): Promise<SendConfig>
  /** Starts `fa send --follow` on `config`, with `env` over the config's. */
  follow(config: SendConfig, env?: NodeJS.ProcessEnv): FaProcess
  /** Starts it, then `kills` times: once it holds partitions, `beforeKill(kill)`, kill -9 and start it again. */
  killAndRestart(config: SendConfig, beforeKill: (kill: number) => Promise<void>, kills?: number): Promise<void>
  /** SIGTERM to the running one, which must exit 0. */
  stop(): Promise<void>
}

/** For the calling test file: whatever runs or serves at its end is killed and closed. */
export function sendCrashRig(kafka: Kafka): SendCrashRig {
  let server: SlackServer | undefined
  const rig: SendCrashRig = {
    get slack() {
      return server!
    },
    proc: undefined,
    async open(what, rate) {
      await server?.close()
      server = await startSlackServer({token: TOKEN, rate})
      return sendConfig(kafka, what, {
        apiUrl: server.url,
        perChannelPerSecond: rate.perSecond,
        perChannelBurst: rate.burst,
        timeoutMs: 1_000,
      })
    },
    follow(config, env = {}) {
      rig.proc = startFa(['send', '--follow'], {...config.env, ...env})
      return rig.proc
    },
    async killAndRestart(config, beforeKill, kills = 3) {
      let proc = rig.follow(config)
      for (let kill = 1; kill <= kills; kill++) {
        await proc.waitForLog(joined, 30_000)
        await beforeKill(kill)
        proc.child.kill('SIGKILL')
        await proc.exited
        proc = rig.follow(config)
      }
    },
    async stop() {
      const proc = rig.proc!
      proc.child.kill('SIGTERM')
      const exit = await proc.exited
      expect(exit.code, proc.stderr().slice(-2000)).toBe(0)
    },
  }
  afterAll(async () => {
    rig.proc?.child.kill('SIGKILL')
    await server?.close()
  })
  return rig
}

/** Produces `alerts` to `topic` eight at a time, `pauseMs` apart: a steady flow while fa send is killed and restarted. */
export async function produceSteadily(
  kafka: Kafka,
  topic: string,
  alerts: SlackMessage[],
  pauseMs: number,
): Promise<void> {
  for (let i = 0; i < alerts.length; i += 8) {
    await produceAlerts(kafka, topic, alerts.slice(i, i + 8))
    await new Promise((r) => setTimeout(r, pauseMs))
  }
}
