// Gives every test a real Kafka broker: the one in KAFKA_BROKERS if set, else a fresh
// single-node broker (scripts/kafka.mjs) in a temp state dir, stopped at teardown.
// Tests read it with inject('kafkaBrokers'); child processes get process.env.KAFKA_BROKERS.
// Beside it a real Schema Registry (Apicurio, scripts/registry.mjs), or SCHEMA_REGISTRY_URL's:
// inject('schemaRegistryUrl').
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {TestProject} from 'vitest/node'
import {startBroker} from '../scripts/kafka.mjs'
import {startRegistry} from '../scripts/registry.mjs'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string
    schemaRegistryUrl: string
  }
}

export default async function setup(project: TestProject) {
  const [stopBroker, stopRegistry] = await Promise.all([setupBroker(project), setupRegistry(project)])
  return async () => {
    await Promise.all([stopBroker?.(), stopRegistry?.()])
  }
}

async function setupRegistry(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.SCHEMA_REGISTRY_URL
  if (given) {
    project.provide('schemaRegistryUrl', given)
    return undefined
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-registry-test-'))
  const t0 = Date.now()
  const registry = await startRegistry({dir}).catch((err: unknown) => {
    fs.rmSync(dir, {recursive: true, force: true})
    throw err
  })
  console.log(`[registry] test registry ${registry.url} ready in ${Date.now() - t0} ms (${dir})`)
  const kill = () => {
    try {
      process.kill(-registry.pid, 'SIGKILL')
    } catch {
      /* already stopped */
    }
  }
  process.once('exit', kill)
  project.provide('schemaRegistryUrl', registry.url)
  return async () => {
    await registry.stop()
    process.off('exit', kill)
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

async function setupBroker(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.KAFKA_BROKERS
  if (given) {
    project.provide('kafkaBrokers', given)
    return undefined
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
