// The attack: a copyFrom that widens a copy. A copy gets at most its source's permission bits, taken from
// the opened source (as fs.copyFile takes them), so neither a 0600 source nor a link swapped
// in for the source's name exposes the copy to nobody.

import { chmodSync, chownSync, copyFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile } from 'atomic-publish'
import { arena, attack, NOBODY, nobodyRuns, record } from './harness.js'

const CAN_READ = `const fs = require('fs'); try { fs.readFileSync(process.argv[1]); console.log('ok') } catch (e) { console.log(e.code) }`

attack("a copy of a 0600 file is 0600, and nobody cannot read it, as with fs.copyFile", async (t) => {
  const dir = arena(0o755)
  const secret = join(dir, 'id_ed25519')
  writeFileSync(secret, 'PRIVATE KEY')
  chmodSync(secret, 0o600)
  const seen: Record<string, string> = {}
  const copiers: Record<string, (to: string) => unknown> = {
    package: (to) => new AtomicFile(to).copyFrom(secret),
    'package sync': (to) => new AtomicFile(to).copyFromSync(secret),
    'package verified': async (to) => {
      const { hashFileSync } = await import('atomic-publish')
      return new AtomicFile(to).withHash(hashFileSync(secret)).copyFrom(secret)
    },
    fs: (to) => copyFileSync(secret, to),
  }
  for (const [who, copy] of Object.entries(copiers)) {
    const to = join(dir, `copy-${who.replace(/\W+/g, '-')}`)
    await copy(to)
    const mode = statSync(to).mode & 0o777
    seen[who] = `mode ${mode.toString(8)}, nobody reads: ${nobodyRuns(CAN_READ, to).stdout.trim()}`
    t.is(mode, 0o600, who)
  }
  // A replace: the narrower of the old file's mode and the source's.
  const wide = join(dir, 'wide')
  writeFileSync(wide, 'old')
  chmodSync(wide, 0o644)
  await new AtomicFile(wide).copyFrom(secret)
  t.is(statSync(wide).mode & 0o777, 0o600)
  seen['write-file-atomic'] = 'no copy call'
  record(t, 'copy of a 0600 file', seen)
})

attack("a source that nobody turned into a link to a 0600 secret never gives a readable copy", async (t) => {
  const secrets = arena(0o755)
  const secret = join(secrets, 'token')
  writeFileSync(secret, 'SECRET TOKEN')
  chmodSync(secret, 0o600)
  // nobody's own directory: what root copies from it is whatever nobody put under the name,
  // here a link to root's secret in place of the public file root expected.
  const theirs = arena(0o755)
  chownSync(theirs, NOBODY, NOBODY)
  const source = join(theirs, 'input')
  const made = nobodyRuns(`require('fs').symlinkSync(process.argv[1], process.argv[2])`, secret, source)
  t.is(made.status, 0, made.stderr)
  const out = arena(0o755)
  const seen: Record<string, string> = {}
  const copiers: Record<string, (to: string) => unknown> = {
    package: (to) => new AtomicFile(to).copyFrom(source),
    fs: (to) => copyFileSync(source, to),
  }
  for (const [who, copy] of Object.entries(copiers)) {
    const to = join(out, who)
    await copy(to)
    const readable = nobodyRuns(CAN_READ, to).stdout.trim()
    seen[who] = `mode ${(statSync(to).mode & 0o777).toString(8)}, nobody reads: ${readable}`
    t.is(readable, 'EACCES', who)
  }
  record(t, 'copy through a source swapped for a link', seen)
})
