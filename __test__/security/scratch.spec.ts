// The attacks: secrets read through the scratch, and a new owner rewriting verified bytes. The
// scratch is nobody else's until its last byte is written and verified (guarantee 9), for
// every terminal, compat included, with withOwner, withMode, on a replace.

import { chownSync, chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { AtomicFile } from 'atomic-publish'
import compat = require('atomic-publish/compat')
import { arena, attack, NOBODY, nobodyStarts, nobodySays, record, stage, writeFileAtomic } from './harness.js'

/** As nobody: open the scratch in `dir` for reading and writing, then for reading; the codes. */
const TRY_SCRATCH = `
const fs = require('fs'); const path = require('path'); const dir = process.argv[1]
const name = fs.readdirSync(dir).find((n) => n.includes('.oxentmp.'))
const tryOpen = (flags) => { try { fs.closeSync(fs.openSync(path.join(dir, name), flags)); return 'ok' } catch (e) { return e.code } }
console.log(JSON.stringify(name ? { write: tryOpen('r+'), read: tryOpen('r') } : { missing: true }))
`

/** A publish held open after its first chunk, with its scratch on disk. */
async function heldPublish(file: AtomicFile, dir: string): Promise<{ finish: () => Promise<unknown> }> {
  const source = new PassThrough()
  const done = file.stream(source)
  done.catch(() => {})
  source.write('SECRET new bytes')
  for (let i = 0; i < 500 && !readdirSync(dir).some((n) => n.includes('.oxentmp.')); i++) await sleep(10)
  await sleep(50)
  return { finish: () => (source.end(), done) }
}

attack('a pending scratch cannot be opened by nobody: withOwner, withMode, an inherited owner', async (t) => {
  const shared = arena(0o1777)
  const owned = arena(0o755)
  // A set-gid directory of nobody's group: every file made in it is in that group.
  const setgid = arena(0o2775)
  chownSync(setgid, 0, NOBODY)
  chmodSync(setgid, 0o2775)
  const cases: Array<[string, string, (target: string) => AtomicFile]> = [
    ['withOwner(nobody) on a new 0600 file', shared, (p) => new AtomicFile(p).withOwner(NOBODY, NOBODY).withMode(0o600)],
    ['withMode(0o644) over a 0600 secret', shared, (p) => new AtomicFile(p).withMode(0o644)],
    ['a replaced file that nobody owns', owned, (p) => new AtomicFile(p)],
    ['a replaced 0600 secret', shared, (p) => new AtomicFile(p)],
    ['a replaced 0600 secret in a set-gid directory', setgid, (p) => new AtomicFile(p)],
    ['withMode(0o640) in a set-gid directory', setgid, (p) => new AtomicFile(p).withMode(0o640)],
  ]
  for (const [name, dir, make] of cases) {
    const target = join(dir, name.replace(/\W+/g, '-'))
    if (!name.includes('new file')) {
      writeFileSync(target, 'old', { mode: 0o600 })
      chmodSync(target, 0o600)
      if (name.includes('nobody owns')) chownSync(target, NOBODY, NOBODY)
    }
    const held = await heldPublish(make(target), dir)
    const tried = nobodySays<Record<string, unknown>>(TRY_SCRATCH, dir)
    await held.finish()
    t.deepEqual(tried, { write: 'EACCES', read: 'EACCES' }, name)
  }
})

attack('the scratch of every terminal is owner-only when the final file is not readable by nobody', async (t) => {
  // A racing reader: nobody lists the directory in a loop and keeps every scratch it can open,
  // then reads what those descriptors hold once the publishes are over.
  const reader = stage('reader.js', `
const fs = require('fs'); const path = require('path'); const dir = process.argv[2]
let stop = false; const fds = []; let opened = 0
process.stdin.on('data', () => (stop = true))
const round = () => {
  if (stop) {
    const leaked = fds.filter((fd) => { try { return fs.readFileSync(fd, 'utf8').includes('SECRET') } catch { return false } }).length
    console.log(JSON.stringify({ opened, leaked })); process.exit(0)
  }
  for (const n of fs.readdirSync(dir)) {
    if (!n.includes('.oxentmp.') && !/\\.\\d+$/.test(n) && !n.includes('.tmp')) continue
    try { fds.push(fs.openSync(path.join(dir, n), 'r')); opened++ } catch {}
  }
  setImmediate(round)
}
round()
`)
  const ROUNDS = 300
  const publishers: Record<string, (target: string, data: string) => unknown> = {
    package: (p, d) => new AtomicFile(p).writeSync(d),
    'package async': (p, d) => new AtomicFile(p).write(d),
    'package stream': (p, d) => new AtomicFile(p).stream(Readable.from([Buffer.from(d)])),
    'package compat': (p, d) => compat(p, d),
    fs: (p, d) => writeFileSync(p, d),
    'write-file-atomic': (p, d) => writeFileAtomic(p, d),
  }
  const seen: Record<string, string> = {}
  for (const [who, publish] of Object.entries(publishers)) {
    const dir = arena(0o1777)
    const target = join(dir, 'secret')
    writeFileSync(target, 'old')
    chmodSync(target, 0o600)
    const spy = nobodyStarts<{ opened: number; leaked: number }>(reader, dir)
    await sleep(200)
    for (let i = 0; i < ROUNDS; i++) await publish(target, `SECRET ${i}`)
    const { opened, leaked } = await spy.stop()
    seen[who] = `${leaked} of ${ROUNDS} read (${opened} opened)`
    t.is(statSync(target).mode & 0o777, 0o600, who)
    if (who.startsWith('package')) t.is(leaked, 0, who)
  }
  record(t, 'secret read through the scratch', seen)
})
