/**
 * The CLI's entry (bin/run.js): oclif's runner, from the same bundle as the commands it runs.
 * Its own subpath, not the package index, which would evaluate all of oclif before any command.
 */
export {execute} from '@oclif/core/execute'
