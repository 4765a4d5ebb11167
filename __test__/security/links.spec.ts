// The attacks: following a link the kernel refuses, and a planted target taking root's bytes.
// With fs.protected_symlinks and protected_regular, a publish refuses (EACCES) exactly what
// fs.writeFile is refused: another user's link, or another user's file, in a sticky
// world-writable directory. Nothing on disk changes.

import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync, chmodSync, chownSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import compat = require('atomic-publish/compat')
import { arena, attack, NOBODY, nobodyRuns, outcome, record, writeFileAtomic } from './harness.js'

type Publisher = (target: string, data: string) => unknown
const publishers: Record<string, Publisher> = {
  package: (p, d) => new AtomicFile(p).write(d),
  'package sync': (p, d) => new AtomicFile(p).writeSync(d),
  'package compat': (p, d) => compat(p, d),
  fs: (p, d) => writeFileSync(p, d),
  'write-file-atomic': (p, d) => writeFileAtomic(p, d),
}

/** Each publisher writes to `target` (set up afresh by `plant`); the outcomes, and checks. */
async function underAttack(
  t: import('ava').ExecutionContext,
  name: string,
  plant: () => { target: string; untouched: () => boolean },
): Promise<void> {
  const seen: Record<string, string> = {}
  for (const [who, publish] of Object.entries(publishers)) {
    const { target, untouched } = plant()
    const result = await outcome(() => publish(target, 'root secret'))
    const intact = untouched()
    seen[who] = `${result}, ${intact ? "what nobody planted or pointed at is untouched" : 'root wrote where nobody chose'}`
    if (who.startsWith('package')) {
      t.is(result, 'EACCES', `${name}: ${who}`)
      t.true(intact, `${name}: ${who}`)
    }
  }
  t.true(seen.fs.startsWith('EACCES'), `${name}: fs is refused too`)
  record(t, name, seen)
}

const victimDir = (): string => {
  const dir = arena(0o755)
  mkdirSync(join(dir, 'etc'), { mode: 0o755 })
  return dir
}

attack("nobody's link to a root file in a sticky directory is not followed", async (t) => {
  await underAttack(t, 'link to a root-owned file', () => {
    const shared = arena(0o1777)
    const victim = join(victimDir(), 'etc', 'shadow')
    writeFileSync(victim, 'root only', { mode: 0o600 })
    const link = join(shared, 'app.conf')
    const planted = nobodyRuns(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, victim, link)
    if (planted.status !== 0) throw new Error(planted.stderr)
    return {
      target: link,
      untouched: () => readFileSync(victim, 'utf8') === 'root only' && lstatSync(link).isSymbolicLink(),
    }
  })
})

attack("nobody's dangling link in a sticky directory creates nothing where it points", async (t) => {
  await underAttack(t, 'dangling link', () => {
    const shared = arena(0o1777)
    const chosen = join(victimDir(), 'etc', 'cron-job')
    const link = join(shared, 'app.conf')
    const planted = nobodyRuns(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, chosen, link)
    if (planted.status !== 0) throw new Error(planted.stderr)
    return { target: link, untouched: () => !existsSync(chosen) }
  })
})

attack('a target nobody planted first in a sticky directory is refused, its bytes never written', async (t) => {
  await underAttack(t, 'planted target', () => {
    const shared = arena(0o1777)
    const target = join(shared, 'report.txt')
    const planted = nobodyRuns(`require('fs').writeFileSync(process.argv[1], 'bait', { mode: 0o666 })`, target)
    if (planted.status !== 0) throw new Error(planted.stderr)
    return {
      target,
      untouched: () => readFileSync(target, 'utf8') === 'bait' && statSync(target).uid === NOBODY,
    }
  })
})

attack("a third user's world-writable file hard-linked in by nobody is refused", async (t) => {
  await underAttack(t, 'hard-linked target', () => {
    const shared = arena(0o1777)
    const third = join(arena(0o755), 'shared-notes')
    writeFileSync(third, 'third', { mode: 0o666 })
    chmodSync(third, 0o666)
    chownSync(third, NOBODY - 1, NOBODY - 1)
    const target = join(shared, 'report.txt')
    const linked = nobodyRuns(`require('fs').linkSync(process.argv[1], process.argv[2])`, third, target)
    if (linked.status !== 0) throw new Error(linked.stderr)
    return {
      target,
      untouched: () => readFileSync(third, 'utf8') === 'third' && statSync(target).ino === statSync(third).ino,
    }
  })
})

attack("root's own link and root's own file in a sticky directory are still followed and replaced", async (t) => {
  const shared = arena(0o1777)
  const real = join(shared, 'real')
  writeFileSync(real, 'old')
  const { symlinkSync } = await import('node:fs')
  symlinkSync(real, join(shared, 'link'))
  await new AtomicFile(join(shared, 'link')).write('new')
  t.is(readFileSync(real, 'utf8'), 'new')
  t.true(lstatSync(join(shared, 'link')).isSymbolicLink())
})
