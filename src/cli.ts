/**
 * The CLI's entry (bin/run.js): oclif's runner, from the same oclif as the commands it runs
 * (src/cli-oclif.ts). Only the runner's modules are evaluated, not all of oclif's.
 */
import type {execute as oclifExecute} from '@oclif/core'

import {oclif} from './cli-oclif.js'

export const execute: typeof oclifExecute = (options) => oclif().execute(options)
