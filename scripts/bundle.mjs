// The JavaScript that ships: every command, the public API (src/index.ts), the CLI entry and
// replay's worker thread, bundled with their dependencies into shared chunks. Start-up is mostly
// loading modules: a few dozen chunks instead of hundreds of files (oclif, zod, our own) make
// `fa replay` start measurably sooner (figures: docs/performance.md).
// Chunks are shared, so an alert type importing 'fa' gets the very classes the commands use.
// The Kafka, BigQuery, Slack and prompt clients stay in node_modules, loaded only by the
// commands that use them. tsc still type-checks and writes the .d.ts files.
import {readdirSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

import {buildOclif} from './bundle-oclif.mjs'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const commands = readdirSync(path.join(root, 'src/commands'), {recursive: true, encoding: 'utf8'})
  .filter((file) => file.endsWith('.ts'))
  .map((file) => path.join('src/commands', file))

// yaml too: it is imported lazily, and a bundled CommonJS module reached by import() would
// only have a default export (Node's own loader gives it its named ones).
// typescript: oclif's tsconfig reader requires it inside a try, for development setups only;
// bundled, the compiler would be part of every start-up. avsc, protobufjs and ajv: the Schema
// Registry codecs, loaded on first use only. @node-rs/crc32: a native addon, found at run time.
const external = [
  'kafkajs',
  '@google-cloud/bigquery',
  '@slack/web-api',
  '@inquirer/prompts',
  'yaml',
  'typescript',
  'avsc',
  'protobufjs',
  'ajv',
  '@node-rs/crc32',
]

const oclifBundle = await buildOclif(root, external)

// Every `@oclif/core` import of the ESM bundle gets that one instance, its names read from the
// package itself; a deep import (`@oclif/core/lib/…`) would be a second copy of oclif.
const oclifNames = Object.keys(createRequire(path.join(root, 'package.json'))('@oclif/core'))
const loader = path.join(root, 'src/cli-oclif.ts')
const sharedOclif = {
  name: 'shared-oclif',
  setup(build) {
    build.onResolve({filter: /^@oclif\/core($|\/)/}, (args) => {
      if (args.path !== '@oclif/core')
        throw new Error(`${args.importer}: import @oclif/core itself, not ${args.path} (see scripts/bundle.mjs)`)
      return {path: 'oclif', namespace: 'fa-oclif'}
    })
    build.onLoad({filter: /.*/, namespace: 'fa-oclif'}, () => ({
      contents: `import {oclif} from ${JSON.stringify(loader)}\nexport const {${oclifNames.join(', ')}} = oclif().core\n`,
      resolveDir: root,
      loader: 'js',
    }))
  },
}

// zod's `z` re-exports its every locale (64 files, 500 KB of source) as `z.locales`, a chunk
// each command evaluates. fa's messages are English, zod's default, which zod imports itself:
// `z.locales` keeps `en` only.
const englishZod = {
  name: 'english-zod',
  setup(build) {
    build.onLoad({filter: /[\\/]node_modules[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/}, (args) => ({
      contents: "export {default as en} from './en.js'\n",
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }))
  },
}

const esm = await build({
  absWorkingDir: root,
  entryPoints: [
    'src/cli.ts',
    'src/index.ts',
    'src/lib/replay/worker.ts',
    'src/lib/enrich/worker.ts',
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
  external,
  define: {FA_OCLIF_BUNDLE: JSON.stringify(oclifBundle)},
  // Bundled CommonJS (the command's dependencies) calls require and reads __dirname.
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
  plugins: [sharedOclif, englishZod],
  metafile: true,
  logLevel: 'warning',
})
// src/cli-oclif.ts finds the bundle beside itself.
const loaderOutput = Object.entries(esm.metafile.outputs).find(
  ([, output]) => output.inputs['src/cli-oclif.ts'] !== undefined,
)?.[0]
if (!loaderOutput?.startsWith('dist/chunks/'))
  throw new Error(`src/cli-oclif.ts was bundled into ${loaderOutput}, not a chunk beside ${oclifBundle}`)
