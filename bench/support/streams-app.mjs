// The Kafka Streams application of bench/streams/: built with Maven, run with the JVM on PATH
// (or JAVA_HOME), its JSON summary parsed.
import {execFileSync} from 'node:child_process'
import path from 'node:path'

import {root, run} from './kafka-data.mjs'

const APP = path.join(root, 'bench', 'streams')

/** `mvn package` (incremental: quick when nothing changed); a Maven failure says so, with its output. */
export function buildStreamsApp() {
  try {
    execFileSync('mvn', ['-q', '-B', '-f', path.join(APP, 'pom.xml'), 'package'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
  } catch (error) {
    throw new Error(`building bench/streams with mvn failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`, {
      cause: error,
    })
  }
}

/**
 * Runs the app until it has committed the source's end offsets seen at start; resolves with its
 * summary (streamStartedAt, lastCommitAt, alerts, deadLetters, dropped) and CPU seconds.
 */
export async function runStreamsApp(options, env = process.env) {
  const java = env.JAVA_HOME ? path.join(env.JAVA_HOME, 'bin', 'java') : 'java'
  const classpath = `${path.join(APP, 'target', 'classes')}:${path.join(APP, 'target', 'lib', '*')}`
  const args = Object.entries(options).map(([name, value]) => `${name}=${value}`)
  const {stdout, cpu} = await run(
    java,
    ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', classpath, 'fa.bench.StreamsBench', ...args],
    env,
  )
  return {...JSON.parse(stdout.trim().split('\n').at(-1)), cpu}
}
