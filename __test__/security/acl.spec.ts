// The attack: a replace that drops the file's ACL. An admin took nobody's access away from one file
// while the directory's default ACL grants it; a replace keeps the file's own ACL (as a write
// in place does) and never gains the default one where the file had none.

import { spawnSync } from 'node:child_process'
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { AtomicFile } from 'atomic-publish'
import compat = require('atomic-publish/compat')
import { hasCommand } from '../helpers.js'
import { arena, attack, NOBODY, nobodyRuns, outcome, record, writeFileAtomic } from './harness.js'

/** Set a POSIX ACL through its xattr (python's os.setxattr: no setfacl needed). */
function setAcl(path: string, name: 'access' | 'default', nobodyPerm: number): boolean {
  const entries = [[1, 6, -1], [2, nobodyPerm, NOBODY], [4, 4, -1], [0x10, 4, -1], [0x20, 0, -1]]
  const script = `
import os, struct, sys
entries = ${JSON.stringify(entries)}
acl = struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, i & 0xffffffff) for t, p, i in entries)
os.setxattr(sys.argv[1], 'system.posix_acl_${name}', acl)`
  return spawnSync('python3', ['-c', script, path]).status === 0
}

const CAN_READ = `const fs = require('fs'); try { fs.readFileSync(process.argv[1]); console.log('ok') } catch (e) { console.log(e.code) }`
const python = hasCommand('python3')

attack(`a replace keeps the ACL that took nobody's access away${python ? '' : ' (skipped: python3 is missing to set ACLs)'}`, async (t) => {
  if (!python) return t.pass()
  const publishers: Record<string, (p: string, d: string) => unknown> = {
    package: (p, d) => new AtomicFile(p).write(d),
    'package sync': (p, d) => new AtomicFile(p).writeSync(d),
    'package stream': (p, d) => new AtomicFile(p).stream(Readable.from([Buffer.from(d)])),
    fs: (p, d) => writeFileSync(p, d),
    'write-file-atomic': (p, d) => writeFileAtomic(p, d),
  }
  const seen: Record<string, string> = {}
  for (const [who, publish] of Object.entries(publishers)) {
    const dir = arena(0o755)
    if (!setAcl(dir, 'default', 4)) return t.log('SKIPPED: this file system keeps no ACLs')
    const target = join(dir, 'payroll.csv')
    writeFileSync(target, 'old')
    t.true(setAcl(target, 'access', 0))
    t.is(nobodyRuns(CAN_READ, target).stdout.trim(), 'EACCES', `${who}: before`)
    await outcome(() => publish(target, 'new salaries'))
    seen[who] = `nobody reads: ${nobodyRuns(CAN_READ, target).stdout.trim()}`
    if (who.startsWith('package') || who === 'fs') t.is(seen[who], 'nobody reads: EACCES', who)
  }
  record(t, 'ACL narrowed by an admin', seen)
})

attack(`a replace of a 0600 file gains no ACL from the directory's default${python ? '' : ' (skipped: python3 is missing to set ACLs)'}`, async (t) => {
  if (!python) return t.pass()
  const seen: Record<string, string> = {}
  const publishers: Record<string, (p: string, d: string) => unknown> = {
    package: (p, d) => new AtomicFile(p).write(d),
    'package withMode(0o640)': (p, d) => new AtomicFile(p).withMode(0o640).write(d),
    'package compat': (p, d) => compat(p, d),
    fs: (p, d) => writeFileSync(p, d),
    'write-file-atomic': (p, d) => writeFileAtomic(p, d),
  }
  for (const [who, publish] of Object.entries(publishers)) {
    const dir = arena(0o755)
    const target = join(dir, 'secret')
    writeFileSync(target, 'old')
    chmodSync(target, 0o600)
    if (!setAcl(dir, 'default', 4)) return t.log('SKIPPED: this file system keeps no ACLs')
    await publish(target, 'new')
    seen[who] = `nobody reads: ${nobodyRuns(CAN_READ, target).stdout.trim()}`
    if (who === 'package' || who.includes('withMode') || who === 'fs') t.is(seen[who], 'nobody reads: EACCES', who)
  }
  record(t, 'default ACL on a replace', seen)
})
