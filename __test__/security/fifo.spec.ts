// The attack: hanging the directory fsync for good. nobody, who may write the folder above
// the target's directory, swaps a FIFO in for that directory for a moment after each rename;
// the publish's fsync is of the directory it opened (O_DIRECTORY) and never opens it again.

import { spawn } from 'node:child_process'
import { chownSync, existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { arena, attack, NOBODY, nobodyStarts, PYTHON, record, stage } from './harness.js'

/** Swap a FIFO in for the directory for 1 ms at a time, atomically (renameat2 RENAME_EXCHANGE). */
const SWAPPER = `
import ctypes, json, os, select, sys, time
libc = ctypes.CDLL(None, use_errno=True)
renameat2 = {'x86_64': 316, 'aarch64': 276}[os.uname().machine]
d = sys.argv[1].encode(); f = d + b'.fifo'
os.mkfifo(f)
swaps = 0
exchange = lambda: libc.syscall(renameat2, -100, d, -100, f, 2)
while not select.select([sys.stdin], [], [], 0)[0]:
    if exchange() == 0:
        time.sleep(0.001)
        exchange()
        swaps += 1
    time.sleep(0.0002)
print(json.dumps({'swaps': swaps}))
`

/** Publish `count` times into `dir` from a child process (a hung one can be killed); how many settled. */
function publishFrom(kind: 'package' | 'write-file-atomic', dir: string, count: number, ms: number): Promise<string> {
  const code = kind === 'package'
    ? `const { AtomicFile } = require('atomic-publish'); const f = (i) => new AtomicFile(process.argv[1] + '/f').write('x' + i)`
    : `const w = require('write-file-atomic'); const f = (i) => w(process.argv[1] + '/f', 'x' + i)`
  const child = spawn(process.execPath, ['-e', `${code}
let settled = 0; (async () => { for (let i = 0; i < ${count}; i++) { await f(i).catch(() => {}); settled++; process.stdout.write('.') } })()`, dir], { cwd: process.cwd() })
  let settled = 0
  child.stdout.on('data', (b: Buffer) => (settled += b.length))
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms)
    child.on('close', () => {
      clearTimeout(timer)
      resolve(`${settled} of ${count} settled`)
    })
  })
}

attack(`a FIFO swapped in for the directory never hangs a publish${existsSync(PYTHON) ? '' : ' (skipped: no /usr/bin/python3 to swap atomically)'}`, async (t) => {
  if (!existsSync(PYTHON)) return t.pass()
  const swapper = stage('swapper.py', SWAPPER)
  const seen: Record<string, string> = {}
  for (const kind of ['package', 'write-file-atomic'] as const) {
    const parent = arena(0o1777)
    const dir = join(parent, 'out')
    mkdirSync(dir, { mode: 0o777 })
    chownSync(dir, NOBODY, NOBODY)
    const attacker = nobodyStarts<{ swaps: number }>(swapper, dir)
    seen[kind] = await publishFrom(kind, dir, 400, 90_000)
    const { swaps } = await attacker.stop()
    seen[kind] += ` (${swaps} swaps)`
    t.true(swaps > 0, kind)
    if (kind === 'package') t.is(seen[kind].split(' (')[0], '400 of 400 settled')
  }
  seen.fs = 'writes in place: no directory fsync'
  record(t, 'FIFO swapped in for the directory', seen)
})
