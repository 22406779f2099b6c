// The floor under replay's time, as a command of its own: stream a JSON Lines file and
// JSON.parse every line, nothing else. Prints the number of records parsed.
import {createReadStream} from 'node:fs'

let rest = ''
let n = 0
for await (const chunk of createReadStream(process.argv[2], {encoding: 'utf8', highWaterMark: 1 << 20})) {
  const split = (rest + chunk).split('\n')
  rest = split.pop()
  for (const line of split) {
    if (line) {
      JSON.parse(line)
      n++
    }
  }
}
if (rest) {
  JSON.parse(rest)
  n++
}
console.log(n)
