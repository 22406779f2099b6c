/**
 * The entry of a replay helper thread. A thread starts without the compile cache that bin/run.js
 * turned on for the process, so it turns it on before loading the helper's code.
 */
import module from 'node:module'

module.enableCompileCache?.()
await import('./helper-thread.js')
