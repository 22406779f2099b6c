// Gives every test a real Kafka broker: the one in KAFKA_BROKERS if set, else a fresh
// single-node broker (scripts/kafka.mjs) in a temp state dir, stopped at teardown.
// Tests read it with inject('kafkaBrokers'); child processes get process.env.KAFKA_BROKERS.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {TestProject} from 'vitest/node'
import {startBroker} from '../scripts/kafka.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string
  }
}

export default async function setup(project: TestProject) {
  const given = process.env.KAFKA_BROKERS
  if (given) {
    project.provide('kafkaBrokers', given)
    return
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-kafka-test-'))
  const t0 = Date.now()
  const broker = await startBroker({dir}).catch((err: unknown) => {
    fs.rmSync(dir, {recursive: true, force: true})
    throw err
  })
  console.log(`[kafka] test broker ${broker.bootstrap} ready in ${Date.now() - t0} ms (${dir})`)
  // If vitest dies without teardown, don't leave a detached JVM behind.
  const kill = () => {
    try {
      process.kill(-broker.pid, 'SIGKILL')
    } catch {
      /* already stopped */
    }
  }
  process.once('exit', kill)

  process.env.KAFKA_BROKERS = broker.bootstrap // workers are forked after this, so they inherit it
  project.provide('kafkaBrokers', broker.bootstrap)

  return async () => {
    await broker.stop()
    process.off('exit', kill)
    delete process.env.KAFKA_BROKERS
    fs.rmSync(dir, {recursive: true, force: true})
  }
}
