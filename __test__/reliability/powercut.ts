// A power cut, modelled on a loop-mounted file system image: publish, then copy the image
// *while it is still mounted* — the copy holds exactly what the file system had sent to its
// "disk", which is what a power cut at that instant would leave — then mount the copy and
// look. Needs root, losetup and mkfs.<fs>.

import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type FileSystem = 'ext4' | 'xfs' | 'btrfs'
/**
 * protocol: the real API; concurrent: 16 publishes into one directory at once, sharing
 * directory fsyncs (all must survive); file: withDurability('file') (old or new, never torn
 * or empty); nofsync: withFsync(false); no-dir-fsync: a broken JS writer.
 */
export type Mode = 'protocol' | 'concurrent' | 'file' | 'nofsync' | 'no-dir-fsync'

export interface CutResult {
  /** What the target held after the cut: the old version, the new one, empty, or neither. */
  found: 'v1' | 'v2' | 'empty' | 'missing' | 'other'
  orphans: number
}

const V1 = Buffer.alloc(20_000, 'version one ')
const V2 = Buffer.alloc(64_000, 'version two ')
const MKFS: Record<FileSystem, string[]> = { ext4: ['mkfs.ext4', '-q', '-F'], xfs: ['mkfs.xfs', '-q', '-f'], btrfs: ['mkfs.btrfs', '-q', '-f'] }
const MOUNT_OPTIONS: Record<FileSystem, string> = { ext4: 'commit=60', xfs: 'defaults', btrfs: 'commit=60' }

const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

export function canCutPower(fs: FileSystem): boolean {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return false
  try {
    sh('which', ['losetup', MKFS[fs][0]])
    return true
  } catch {
    return false
  }
}

function attach(image: string): string {
  return sh('losetup', ['-f', '--show', image])
}

export function cutPower(fs: FileSystem, mode: Mode): CutResult {
  const work = mkdtempSync(join(tmpdir(), `ap-cut-${fs}-`))
  const image = join(work, 'disk.img')
  const copy = join(work, 'copy.img')
  const [live, after] = [join(work, 'live'), join(work, 'after')]
  mkdirSync(live)
  mkdirSync(after)
  execFileSync('truncate', ['-s', '320M', image])
  const device = attach(image)
  let copyDevice: string | undefined
  try {
    sh(MKFS[fs][0], [...MKFS[fs].slice(1), device])
    sh('mount', ['-o', MOUNT_OPTIONS[fs], device, live])
    const target = join(live, 'target')
    writeFileSync(target, V1)
    sh('sync', ['-f', target])
    const fixture = (name: string) => join(__dirname, '..', 'fixtures', `${name}.js`)
    if (mode === 'no-dir-fsync') sh(process.execPath, [fixture('broken-writer'), target, 'no-dir-fsync', V2.toString()])
    else if (mode === 'concurrent') sh(process.execPath, [fixture('many-at-once'), target, V2.toString(), '16'])
    else {
      const level = mode === 'nofsync' ? 'nofsync' : mode === 'file' ? 'file' : 'fsync'
      sh(process.execPath, [fixture('one-publish'), target, 'writeSync', V2.toString(), level])
    }
    // The cut: whatever reached the "disk" by now is all that survives.
    sh('cp', ['--sparse=always', image, copy])
    sh('umount', [live])
    copyDevice = attach(copy)
    sh('mount', [...(fs === 'xfs' ? ['-o', 'nouuid'] : []), copyDevice, after])
    try {
      const survivor = join(after, 'target')
      const orphans = readdirSync(after).filter((n) => n.includes('.oxentmp.')).length
      if (mode === 'concurrent') {
        // Every one of the 16 resolved publishes must have survived.
        const all = Array.from({ length: 16 }, (_, i) => join(after, `target-${i}`))
        const whole = all.filter((f) => existsSync(f) && readFileSync(f).equals(V2)).length
        return { found: whole === 16 ? 'v2' : 'other', orphans }
      }
      if (!existsSync(survivor)) return { found: 'missing', orphans }
      const bytes = readFileSync(survivor)
      const found = bytes.equals(V1) ? 'v1' : bytes.equals(V2) ? 'v2' : bytes.length === 0 ? 'empty' : 'other'
      return { found, orphans }
    } finally {
      sh('umount', [after])
    }
  } finally {
    try {
      sh('umount', [live])
    } catch {
      // already unmounted
    }
    sh('losetup', ['-d', device])
    if (copyDevice) sh('losetup', ['-d', copyDevice])
    rmSync(work, { recursive: true, force: true })
  }
}
