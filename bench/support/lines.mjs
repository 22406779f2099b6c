// The baselines' shared loop: stream a JSON Lines file, JSON.parse every line, hand each value on.
import {createReadStream} from 'node:fs'

/** Calls `each` with every parsed line of `file` (awaiting it when it returns a promise); resolves with the count. */
export async function eachJsonLine(file, each) {
  let rest = ''
  let n = 0
  for await (const chunk of createReadStream(file, {encoding: 'utf8', highWaterMark: 1 << 20})) {
    const split = (rest + chunk).split('\n')
    rest = split.pop()
    for (const line of split) {
      if (line) {
        await each(JSON.parse(line))
        n++
      }
    }
  }
  if (rest) {
    await each(JSON.parse(rest))
    n++
  }
  return n
}
