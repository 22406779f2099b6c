// The JavaScript that ships: every command, the public API (src/index.ts), the CLI entry and
// replay's worker thread, bundled with their dependencies into shared chunks. Start-up is mostly
// loading modules: a few dozen chunks instead of hundreds of files (oclif, zod, our own) make
// `fa replay` start measurably sooner (figures: docs/performance.md).
// Chunks are shared, so an alert type importing 'fa' gets the very classes the commands use.
// The Kafka, BigQuery, Slack and prompt clients stay in node_modules, loaded only by the
// commands that use them. tsc still type-checks and writes the .d.ts files.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const commands = readdirSync(path.join(root, 'src/commands'), {recursive: true, encoding: 'utf8'})
  .filter((file) => file.endsWith('.ts'))
  .map((file) => path.join('src/commands', file))

/**
 * Lines of oclif patched for start-up, each part of every command's (`fa --version` too).
 * The build fails if a line changes, so an oclif upgrade cannot drop a patch silently.
 * - oclif sorts each plugin's command ids with localeCompare, and the first call builds ICU's
 *   collator. Command ids are file names (ASCII), which sort the same by code unit.
 * - oclif loads tinyglobby (with fdir and picomatch) to find a plugin's commands in its
 *   directories, which it does only for a plugin without a manifest (fa and its plugins ship one).
 * - oclif's spinner loads cli-spinners (a 26 KB table of spinners) when oclif loads; it is read
 *   only when a spinner starts.
 * - To tell WSL from Linux, oclif imports wsl-utils, whose `isWsl` is is-wsl's answer; wsl-utils
 *   itself also loads node:util, node:child_process and node:fs/promises for its PowerShell
 *   helpers (and esbuild's interop reads every export of node:util, loading a dozen more
 *   modules). is-wsl alone gives the same answer. The PowerShell helper stays on wsl-utils.
 */
const oclifPatches = [
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/,
    edits: [
      ['.sort((a, b) => a.id.localeCompare(b.id));', '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'],
      [
        'const tinyglobby_1 = require("tinyglobby");',
        'const tinyglobby_1 = {get glob() { return require("tinyglobby").glob; }};',
      ],
    ],
  },
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]ux[\\/]action[\\/]spinner\.js$/,
    edits: [
      [
        'const cli_spinners_1 = __importDefault(require("cli-spinners"));',
        'const cli_spinners_1 = {get default() { return require("cli-spinners"); }};',
      ],
    ],
  },
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]os\.js$/,
    edits: [["return (await import('wsl-utils')).isWsl ? 'wsl'", "return (await import('is-wsl')).default ? 'wsl'"]],
  },
]
const patchOclif = {
  name: 'patch-oclif',
  setup(build) {
    for (const {file, edits} of oclifPatches) {
      build.onLoad({filter: file}, (args) => {
        let source = readFileSync(args.path, 'utf8')
        for (const [from, to] of edits) {
          if (!source.includes(from))
            throw new Error(`${args.path}: the line to patch is gone (oclif changed): see scripts/bundle.mjs`)
          source = source.replace(from, to)
        }
        return {contents: source, loader: 'js'}
      })
    }
  },
}

await build({
  absWorkingDir: root,
  entryPoints: [
    'src/cli.ts',
    'src/index.ts',
    'src/lib/replay/worker.ts',
    'src/hooks/command-not-found.ts',
    ...commands,
  ],
  outdir: 'dist',
  outbase: 'src',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  // yaml too: it is imported lazily, and a bundled CommonJS module reached by import() would
  // only have a default export (Node's own loader gives it its named ones).
  // typescript: oclif's tsconfig reader requires it inside a try, for development setups only;
  // bundled, the compiler would be part of every start-up. avsc, protobufjs and ajv: the Schema
  // Registry codecs, loaded on first use only.
  external: [
    'kafkajs',
    '@google-cloud/bigquery',
    '@slack/web-api',
    '@inquirer/prompts',
    'yaml',
    'typescript',
    'avsc',
    'protobufjs',
    'ajv',
  ],
  // Bundled CommonJS (oclif and its dependencies) calls require and reads __dirname.
  banner: {
    js: [
      "import {createRequire as __faCreateRequire} from 'node:module';",
      "import {dirname as __faDirname} from 'node:path';",
      "import {fileURLToPath as __faFileURLToPath} from 'node:url';",
      'const require = __faCreateRequire(import.meta.url);',
      'const __filename = __faFileURLToPath(import.meta.url);',
      'const __dirname = __faDirname(__filename);',
    ].join(' '),
  },
  plugins: [patchOclif],
  logLevel: 'warning',
})
