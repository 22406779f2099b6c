// Every temp file of a run, the tests' own and their child processes', in one directory of its
// own, removed at teardown: a run leaves nothing behind in the system's temp dir.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fa-tests-'))
  const before = process.env.TMPDIR
  // Workers are forked after this, so they and the processes they start inherit it.
  process.env.TMPDIR = dir
  return () => {
    if (before === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = before
    fs.rmSync(dir, {recursive: true, force: true})
  }
}
