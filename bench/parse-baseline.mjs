// The floor under replay's time, as a command of its own: stream a JSON Lines file and
// JSON.parse every line, nothing else. Prints the number of records parsed.
import {eachJsonLine} from './support/lines.mjs'

console.log(await eachJsonLine(process.argv[2], () => {}))
