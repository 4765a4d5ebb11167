// The target an override package's call names, read as its peer reads it: write-file-atomic 7
// and atomically 2 take a string path; a Buffer or URL gets through some of their calls and not
// others, and where the peer refuses, so does its override, before anything touches the disk.
// (The probes are a few synchronous lstat/stat/realpath calls, also in the async calls: they
// decide whether to refuse, before the publish itself, which runs off the main thread.)

import { lstatSync, realpathSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type { Peer } from './compat-peers.js'

function tryRealpath(p: Buffer | URL): string | undefined {
  try {
    return realpathSync(p)
  } catch {
    return undefined
  }
}

/** A symlink whose destination does not exist (nor, perhaps, its directory). */
function isDangling(p: string): boolean {
  try {
    if (!lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink()) return false
  } catch {
    return false // the publish itself reports what is wrong with the path
  }
  try {
    statSync(p)
    return false
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT'
  }
}

function enoent(message: string, path: string): NodeJS.ErrnoException {
  const err = new Error(`ENOENT: ${message}, open '${path}'`) as NodeJS.ErrnoException
  return Object.assign(err, { code: 'ENOENT', errno: -2, syscall: 'open', path })
}

/**
 * The filename to publish to, or the peer's refusal. Both peers replace a dangling link itself
 * with a regular file; the publish protocol writes through links and would create the link's
 * destination instead, so the overrides refuse and leave the link and its destination alone.
 */
export function peerTarget(peer: Peer, filename: unknown, sync: boolean): unknown {
  if (peer === 'compat') return filename
  if (typeof filename !== 'string') {
    // write-file-atomic's async call starts with path.resolve(filename), which takes strings only.
    if (peer === 'write-file-atomic' && !sync) resolve(filename as string)
    if (filename instanceof URL || Buffer.isBuffer(filename)) {
      const real = tryRealpath(filename)
      if (real !== undefined) return real
      // atomically takes the directory of a target that does not exist yet: path.dirname refuses.
      if (peer === 'atomically') dirname(filename as unknown as string)
      // write-file-atomic's sync call opens `String(url)` + a suffix, a relative path that is not there.
      if (filename instanceof URL) throw enoent('no such file or directory', `${String(filename)}.oxentmp`)
      filename = filename.toString()
    }
  }
  if (typeof filename === 'string' && isDangling(filename)) {
    throw enoent('the target is a dangling symlink and its destination is not created', filename)
  }
  return filename
}
