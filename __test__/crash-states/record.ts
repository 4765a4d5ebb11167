// Record: set up each workload's starting state, then run every workload in one traced child
// (`strace -f -y`, libuv's io_uring off so every file operation is a visible syscall).

import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { newContent, OLD, isDirEntry, type Workload } from './plan.js'
import { OLD_TREE, OLD_VERSION, type TreeFiles } from './dir-trees.js'

/** Everything is traced; the parser keeps what touches a workload's files and fails on what it cannot model. */
const STRACE = ['-f', '-y', '-qq', '-s', '0', '-e', 'signal=none']

export function writeTree(dir: string, files: TreeFiles): void {
  for (const [rel, bytes] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true })
    writeFileSync(join(dir, rel), bytes)
  }
}

export function prepare(w: Workload): void {
  mkdirSync(w.root, { recursive: true })
  writeFileSync(w.source, newContent(w.newSize))
  if (isDirEntry(w.entry)) {
    // 'old': a plain tree at the target; 'linked': the versioned layout's link to an old version.
    if (w.start === 'old') writeTree(w.target, OLD_TREE)
    if (w.start === 'linked') {
      writeTree(join(w.root, OLD_VERSION), OLD_TREE)
      symlinkSync(OLD_VERSION, w.target)
    }
    return
  }
  if (w.start === 'old') writeFileSync(w.target, OLD)
  if (w.start === 'empty') writeFileSync(w.target, '')
  // 'absent': nothing; 'new-parent': the call creates the target's directory itself.
  if (w.start !== 'new-parent') mkdirSync(dirname(w.target), { recursive: true })
}

/** Run all `plan` under strace; returns the trace's text. */
export function record(work: string, plan: Workload[], unsyncedBuild: string | undefined): string {
  for (const w of plan) prepare(w)
  // The starting states are on disk before the trace begins: the models start from them.
  execFileSync('sync', ['-f', work])
  const planFile = join(work, 'plan.json')
  writeFileSync(planFile, JSON.stringify(plan))
  const traceFile = join(work, 'trace.txt')
  const child = join(__dirname, 'workload.js')
  execFileSync('strace', [...STRACE, '-o', traceFile, process.execPath, child, planFile, ...(unsyncedBuild ? [unsyncedBuild] : [])], {
    env: { ...process.env, UV_USE_IO_URING: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  })
  return readFileSync(traceFile, 'utf8')
}
