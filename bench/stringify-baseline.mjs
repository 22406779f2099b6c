// The second floor under replay --json: parse every line of a JSON Lines file and write one
// JSON.stringify of the record per line to stdout, in large writes that wait for the pipe.
import {once} from 'node:events'

import {eachJsonLine} from './support/lines.mjs'

let out = ''
await eachJsonLine(process.argv[2], async (record) => {
  out += `${JSON.stringify(record)}\n`
  if (out.length >= 1 << 20) {
    const flushed = process.stdout.write(out)
    out = ''
    if (!flushed) await once(process.stdout, 'drain')
  }
})
process.stdout.write(out)
