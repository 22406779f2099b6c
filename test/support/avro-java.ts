// The interop tests' outside decoder: kcat reads a topic's raw values (`-f '%R%s'`: each value's
// length as a big-endian int32, then its bytes) into Apache Avro's Java implementation
// (test/support/java/AvroDecode.java), which fetches each writer schema by id from the registry.
import {execFile, spawn} from 'node:child_process'

import {ensureAvroJava} from '../../scripts/registry.mjs'

/** Every value of `topic` (one partition) as `<schema id> <Avro JSON encoding>`, decoded by Avro's Java library. */
export async function decodeWithJava(brokers: string, topic: string, registryUrl: string): Promise<string[]> {
  const classpath = ensureAvroJava()
  const values = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      'kcat',
      ['-C', '-b', brokers, '-t', topic, '-e', '-q', '-f', '%R%s'],
      {encoding: 'buffer', timeout: 30_000, maxBuffer: 64 << 20},
      (error, stdout, stderr) =>
        error ? reject(new Error(`kcat failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    )
  })
  return new Promise((resolve, reject) => {
    const java = spawn('java', ['-cp', classpath, 'AvroDecode', registryUrl], {stdio: ['pipe', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    java.stdout.on('data', (d) => (out += d))
    java.stderr.on('data', (d) => (err += d))
    java.on('error', reject)
    java.on('close', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').filter(Boolean))
        : reject(new Error(`AvroDecode exited ${code}:\n${err}`)),
    )
    java.stdin.end(values)
  })
}
