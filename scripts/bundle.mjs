// The JavaScript that ships: every command, the public API (src/index.ts), the CLI entry and
// replay's worker thread, bundled with their dependencies into shared chunks. Start-up is mostly loading modules: ~40
// chunks instead of ~300 files (oclif, zod, our own) cut `fa replay`'s start-up by ~80 ms.
// Chunks are shared, so an alert type importing 'fa' gets the very classes the commands use.
// The Kafka, BigQuery, Slack and prompt clients stay in node_modules, loaded only by the
// commands that use them. tsc still type-checks and writes the .d.ts files.
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const commands = readdirSync(path.join(root, 'src/commands'), {recursive: true, encoding: 'utf8'})
  .filter((file) => file.endsWith('.ts'))
  .map((file) => path.join('src/commands', file))

await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts', 'src/index.ts', 'src/lib/replay/worker.ts', ...commands],
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
  external: ['kafkajs', '@google-cloud/bigquery', '@slack/web-api', '@inquirer/prompts', 'yaml'],
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
  logLevel: 'warning',
})
