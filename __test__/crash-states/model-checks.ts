// Model and parser checks: hand-written op lists whose verdict under a model is known, and
// calls the parser must refuse, so a model that forgets one of its rules or a parser that
// misreads a call fails the suite instead of passing a writer it should not.

import { enumerate } from './enumerate.js'
import { MODELS } from './models.js'
import { type Op } from './ops.js'
import { parseWorkloads } from './parse.js'
import { newContent, OLD, planWorkloads } from './plan.js'
import { bytesOf, Tree } from './tree.js'

const ROOT = 1
const TARGET = 2
const SCRATCH = 3
const size = 3 * 4096 + 5

function start(): Tree {
  const t = new Tree(ROOT)
  t.nodes.set(ROOT, { kind: 'dir', entries: new Map([['target.bin', TARGET]]) })
  t.nodes.set(TARGET, { kind: 'file', base: OLD, events: [] })
  return t
}

/** A 'full' publish through an unnamed scratch, fsynced before its link and, if `again`, after it. */
function unnamedPublish(again: boolean): Op[] {
  const name = 'target.bin.oxentmp.a1'
  return [
    { t: 'tmpfile', ino: SCRATCH },
    { t: 'write', ino: SCRATCH, off: 0, len: size, srcOff: 0 },
    { t: 'fsync', ino: SCRATCH, dir: false, call: 'fsync' },
    { t: 'link', dir: ROOT, name, ino: SCRATCH },
    ...(again ? [{ t: 'fsync', ino: SCRATCH, dir: false, call: 'fsync' } as Op] : []),
    { t: 'rename', fromDir: ROOT, fromName: name, toDir: ROOT, toName: 'target.bin', ino: SCRATCH, replaced: TARGET },
    { t: 'fsync', ino: ROOT, dir: true, call: 'fsync' },
  ]
}

/** Does some crash after the call returned leave the target without the new bytes? */
function losesNewBytes(model: string, ops: Op[]): boolean {
  const m = MODELS.find((x) => x.name === model)
  if (!m) throw new Error(`no model ${model}`)
  const source = newContent(size)
  const { states } = enumerate(start(), ops, ops.length, m)
  return [...states.values()].some(({ tree, afterReturn }) => {
    const ino = tree.lookup('target.bin')
    const node = ino === undefined ? undefined : tree.nodes.get(ino)
    return afterReturn && !(node?.kind === 'file' && bytesOf(node, source).equals(source))
  })
}

/** Each check that does not hold, described. */
export function modelChecks(): string[] {
  const failures: string[] = []
  const expect = (what: string, got: boolean, want: boolean): void => {
    if (got !== want) failures.push(`${what}: expected ${want}, got ${got}`)
  }
  // btrfs may not persist the data of a file fsynced while it had no name: only the fsync
  // after the link carries it through the log that the directory fsync relies on.
  expect('btrfs, unnamed scratch fsynced only before its link, loses the new bytes', losesNewBytes('btrfs', unnamedPublish(false)), true)
  expect('btrfs, unnamed scratch fsynced again after its link, loses the new bytes', losesNewBytes('btrfs', unnamedPublish(true)), false)
  expect('ext4, unnamed scratch fsynced only before its link, loses the new bytes', losesNewBytes('ext4', unnamedPublish(false)), false)
  return failures
}

/** Calls that look like a modelled one but mean something else must stop the parse. */
export function parserChecks(): string[] {
  const w = planWorkloads('/nonexistent/crash-states')[0]
  const tree = start()
  const dir = tree.nodes.get(ROOT)
  if (dir?.kind === 'dir') dir.entries.set('other.bin', SCRATCH)
  tree.nodes.set(SCRATCH, { kind: 'file', base: OLD, events: [] })
  const traced = (call: string): string => [
    `100 openat(AT_FDCWD, "${w.begin}", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 20<${w.begin}>`,
    `100 ${call}`,
    `100 openat(AT_FDCWD, "${w.returned}", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0666) = 21<${w.returned}>`,
  ].join('\n')
  const calls = [
    `renameat2(AT_FDCWD, "${w.root}/other.bin", AT_FDCWD, "${w.target}", RENAME_WHITEOUT) = 0`,
    `linkat(7<${w.root}/other.bin>, "", AT_FDCWD, "${w.root}/copy.bin", AT_EMPTY_PATH) = 0`,
    `fallocate(7<${w.target}>, 0, 0, 4096) = 0`,
    // rmdir of a file: the kernel refuses it, so a trace showing it is misread.
    `unlinkat(AT_FDCWD, "${w.target}", AT_REMOVEDIR) = 0`,
  ]
  const failures: string[] = []
  for (const call of calls) {
    try {
      parseWorkloads(traced(call), [w], new Map([[w.id, tree]]))
      failures.push(`the parser accepted ${call}`)
    } catch (e) {
      if (!/unmodelled syscall/.test(String(e))) failures.push(`the parser failed otherwise on ${call}: ${String(e)}`)
    }
  }
  return failures
}
