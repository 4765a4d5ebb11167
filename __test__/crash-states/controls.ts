// The negative control built from this package: a debug build without the scratch fsync
// (cargo feature `unsynced-scratch-control`, refused by release builds), run by the traced
// child as an example binary.

import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export function buildUnsynced(): string {
  const repo = join(__dirname, '..', '..', '..')
  execFileSync('cargo', ['build', '-q', '--example', 'unsynced_scratch', '--features', 'unsynced-scratch-control'], { cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 })
  return join(repo, 'target', 'debug', 'examples', 'unsynced_scratch')
}
