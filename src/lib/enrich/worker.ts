/**
 * The entry of an enrich thread (`fa enrich --threads`). A thread starts without the compile
 * cache that bin/run.js turned on for the process, so it turns it on before loading the run's code.
 */
import module from 'node:module'

module.enableCompileCache?.()
await import('./thread.js')
