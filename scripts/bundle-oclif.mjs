// oclif as one CommonJS script, dist/chunks/oclif-[hash].cjs, for src/cli-oclif.ts to run and
// keep V8's code cache of: `execute` evaluates only the runner's modules, `core` the whole
// package (the commands'). scripts/bundle.mjs points the ESM bundle's `@oclif/core` here.
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {build} from 'esbuild'

/** `const name = require(id)` made lazy: the module loads on the first read of a property. */
const lazy = (name, id) => [
  `const ${name} = require("${id}");`,
  `const ${name} = new Proxy({}, {get: (_, key) => require("${id}")[key]});`,
]

/**
 * Lines of oclif patched for start-up, each part of every command's (`fa --version` too).
 * The build fails if a line changes, so an oclif upgrade cannot drop a patch silently.
 * - oclif sorts each plugin's command ids with localeCompare, and the first call builds ICU's
 *   collator. Command ids are file names (ASCII), which sort the same by code unit.
 * - oclif loads tinyglobby (with fdir and picomatch) to find a plugin's commands in its
 *   directories, which it does only for a plugin without a manifest (fa and its plugins ship one).
 * - oclif's spinner loads cli-spinners (a 26 KB table of spinners) when oclif loads; it is read
 *   only when a spinner starts.
 * - oclif matches its plugin names (`oclif.plugins` in package.json) against the dependencies'
 *   names with minimatch, a Minimatch each. A name without a glob character (`*?[]{}()!#\`:
 *   `@` and `+` are one only before a parenthesis, `#` starts a comment) matches only itself:
 *   those are compared as strings, and minimatch loads for a pattern only.
 * - child_process (for a Windows shell's name), perf_hooks (for OCLIF_PERFORMANCE's marks) and
 *   fs/promises load with oclif; they are required when used, and oclif's JSON reads (package
 *   and manifest files) use fs's readFile. lilconfig (which reads fs.promises, loading it) finds a
 *   plugin's oclif settings outside package.json: it loads for a plugin without any there.
 * - oclif's logger loads debug, which loads supports-color and tty and opens stderr to ask if
 *   it is a terminal, for a logger that writes only when DEBUG names it. debug reads DEBUG once,
 *   when it loads, and nothing in this bundle enables it later: without DEBUG the logger is a
 *   no-op and debug is not loaded. oclif's own colour check loads supports-color (and tty) when it
 *   first colours a text (supports-color answers from the environment and the terminals, which
 *   fa does not change).
 * - To tell WSL from Linux, oclif imports wsl-utils, whose `isWsl` is is-wsl's answer; wsl-utils
 *   itself also loads node:util, node:child_process and node:fs/promises for its PowerShell
 *   helpers (and esbuild's interop reads every export of node:util, loading a dozen more
 *   modules). is-wsl alone gives the same answer. The PowerShell helper stays on wsl-utils.
 */
const oclifPatches = [
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]logger\.js$/,
    edits: [
      [
        'const debug_1 = __importDefault(require("debug"));',
        'const debug_1 = {get default() { return require("debug"); }};',
      ],
      [
        'const debug = (0, debug_1.default)(namespace);',
        'const debug = process.env.DEBUG ? (0, debug_1.default)(namespace) : () => {};',
      ],
    ],
  },
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]fs\.js$/,
    edits: [
      lazy('promises_1', 'node:fs/promises'),
      [
        "const contents = await (0, promises_1.readFile)(path, 'utf8');",
        "const contents = await new Promise((resolve, reject) => (0, node_fs_1.readFile)(path, 'utf8', (error, text) => (error ? reject(error) : resolve(text))));",
      ],
    ],
  },
  {file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]read-pjson\.js$/, edits: [lazy('lilconfig_1', 'lilconfig')]},
  {file: /@oclif[\\/]core[\\/]lib[\\/]ux[\\/]supports-color\.js$/, edits: [lazy('supports_color_1', 'supports-color')]},
  {file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]ts-path\.js$/, edits: [lazy('promises_1', 'node:fs/promises')]},
  {file: /@oclif[\\/]core[\\/]lib[\\/]util[\\/]read-tsconfig\.js$/, edits: [lazy('promises_1', 'node:fs/promises')]},
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
    edits: [
      ["return (await import('wsl-utils')).isWsl ? 'wsl'", "return (await import('is-wsl')).default ? 'wsl'"],
      lazy('node_child_process_1', 'node:child_process'),
    ],
  },
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]performance\.js$/,
    edits: [lazy('node_perf_hooks_1', 'node:perf_hooks')],
  },
  {
    file: /@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin-loader\.js$/,
    edits: [
      [
        'const minimatch_1 = require("minimatch");',
        'const minimatch_1 = {get minimatch() { return require("minimatch").minimatch; }};',
      ],
      [
        'patterns.some((w) => (0, minimatch_1.minimatch)(p, w))',
        'patterns.some((w) => (/[*?[\\]{}()!#\\\\]/.test(w) ? (0, minimatch_1.minimatch)(p, w) : p === w))',
      ],
    ],
  },
]

/**
 * A script's `import()` needs a callback only an experimental vm API gives, so the dynamic
 * imports oclif makes by computed URL (its commands, hooks, lilconfig's and tsx's files) call
 * `__faImport` instead, which src/cli-oclif.ts passes in. A literal `import('x')` is bundled.
 */
const dynamicImport = /(?<![\w.$'"`])import\((?!\s*['"`])/g

const patchOclif = {
  name: 'patch-oclif',
  setup(build) {
    build.onLoad({filter: /[\\/]node_modules[\\/].*\.c?js$/}, (args) => {
      let source = readFileSync(args.path, 'utf8')
      for (const {edits} of oclifPatches.filter(({file}) => file.test(args.path))) {
        for (const [from, to] of edits) {
          if (!source.includes(from))
            throw new Error(`${args.path}: the line to patch is gone (oclif changed): see scripts/bundle-oclif.mjs`)
          source = source.replace(from, to)
        }
      }
      return {contents: source.replace(dynamicImport, '__faImport('), loader: 'js'}
    })
  },
}

/** Builds the bundle; its file name in dist/chunks. */
export async function buildOclif(root, external) {
  const result = await build({
    absWorkingDir: root,
    stdin: {
      contents:
        "module.exports = {get execute() { return require('@oclif/core/execute').execute }, get core() { return require('@oclif/core') }}",
      resolveDir: root,
      sourcefile: 'oclif-entry.cjs',
      loader: 'js',
    },
    outdir: 'dist/chunks',
    entryNames: 'oclif-[hash]',
    outExtension: {'.js': '.cjs'},
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    external,
    plugins: [patchOclif],
    metafile: true,
    logLevel: 'warning',
  })
  const file = Object.keys(result.metafile.outputs).find((output) => output.endsWith('.cjs'))
  const left = readFileSync(path.join(root, file), 'utf8').match(dynamicImport)
  if (left) throw new Error(`${file}: ${left.length} import() left that src/cli-oclif.ts cannot serve`)
  return path.basename(file)
}
