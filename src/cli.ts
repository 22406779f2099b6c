/** The CLI's entry (bin/run.js): oclif's runner, from the same bundle as the commands it runs. */
export {execute} from '@oclif/core'
