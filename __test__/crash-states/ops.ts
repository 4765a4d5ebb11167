// Logical operations (what a trace means for the workload's files), and the pieces each one
// may persist as under a persistence model: a name change is one piece (three where renames
// are not atomic), a write one piece per block range.

import { Tree } from './tree.js'

export type Op =
  | { t: 'create'; dir: number; name: string; ino: number }
  | { t: 'tmpfile'; ino: number }
  | { t: 'link'; dir: number; name: string; ino: number }
  | { t: 'mkdir'; dir: number; name: string; ino: number }
  | { t: 'rename'; fromDir: number; fromName: string; toDir: number; toName: string; ino: number; replaced?: number }
  | { t: 'unlink'; dir: number; name: string; ino: number }
  | { t: 'write'; ino: number; off: number; len: number; srcOff: number }
  | { t: 'truncate'; ino: number; size: number }
  | { t: 'fsync'; ino: number; dir: boolean; call: string }
  /** renameat2(RENAME_EXCHANGE): two names swap the inodes they name. */
  | { t: 'exchange'; aDir: number; aName: string; aIno: number; bDir: number; bName: string; bIno: number }
  | { t: 'symlink'; dir: number; name: string; ino: number; target: string }
  /** syncfs: everything issued before it on the file system is durable. */
  | { t: 'syncfs' }

export function describe(op: Op): string {
  switch (op.t) {
    case 'write': return `write #${op.ino} [${op.off}, +${op.len})`
    case 'truncate': return `truncate #${op.ino} to ${op.size}`
    case 'fsync': return `${op.call} ${op.dir ? 'dir' : 'file'} #${op.ino}`
    case 'rename': return `rename #${op.fromDir}/${op.fromName} -> #${op.toDir}/${op.toName}${op.replaced !== undefined ? ' (replacing)' : ''}`
    case 'tmpfile': return `O_TMPFILE #${op.ino}`
    case 'exchange': return `exchange #${op.aDir}/${op.aName} <-> #${op.bDir}/${op.bName}`
    case 'symlink': return `symlink #${op.dir}/${op.name} -> ${op.target} (#${op.ino})`
    case 'syncfs': return 'syncfs'
    default: return `${op.t} #${op.dir}/${op.name} (#${op.ino})`
  }
}

/** One thing that may or may not have reached the disk at a crash. */
export interface Piece {
  id: string
  op: number
  kind: 'meta' | 'data'
  /** The file whose bytes or size it changes (data, truncate). */
  ino?: number
  /** Directories whose entries it changes, and the inode a new entry names. */
  dirs: number[]
  names?: number
  /** A rename over an existing name (ext4's auto_da_alloc forces the renamed file's data first). */
  renameOver?: boolean
  apply(t: Tree): void
}

export const BLOCK = 4096
/** A write persists in at most this many pieces: its first block, its middle, its last block. */
export const MAX_PIECES_PER_WRITE = 3

function splitWrite(off: number, len: number, split: boolean): Array<[number, number]> {
  const end = off + len
  const firstEnd = Math.min(end, Math.floor(off / BLOCK) * BLOCK + BLOCK)
  const lastStart = Math.max(firstEnd, Math.floor((end - 1) / BLOCK) * BLOCK)
  if (!split || firstEnd >= end) return [[off, len]]
  const parts: Array<[number, number]> = [[off, firstEnd - off]]
  if (lastStart > firstEnd) parts.push([firstEnd, lastStart - firstEnd])
  parts.push([lastStart, end - lastStart])
  return parts
}

const setEntry = (t: Tree, dir: number, name: string, ino: number): void => {
  t.dir(dir).entries.set(name, ino)
}
const dropEntry = (t: Tree, dir: number, name: string, ino?: number): void => {
  const d = t.dir(dir)
  if (ino === undefined || d.entries.get(name) === ino) d.entries.delete(name)
}

/** The pieces of op number `i`. */
export function piecesOf(op: Op, i: number, model: { splitWrites: boolean; renameAtomic: boolean }): Piece[] {
  const id = (s: string) => `${i}${s}`
  switch (op.t) {
    case 'create':
    case 'link':
      return [{ id: id(''), op: i, kind: 'meta', dirs: [op.dir], names: op.ino, apply: (t) => { t.file(op.ino); setEntry(t, op.dir, op.name, op.ino) } }]
    case 'mkdir':
      return [{ id: id(''), op: i, kind: 'meta', dirs: [op.dir], names: op.ino, apply: (t) => { if (!t.nodes.has(op.ino)) t.nodes.set(op.ino, { kind: 'dir', entries: new Map() }); setEntry(t, op.dir, op.name, op.ino) } }]
    case 'unlink':
      return [{ id: id(''), op: i, kind: 'meta', dirs: [op.dir], apply: (t) => dropEntry(t, op.dir, op.name, op.ino) }]
    case 'rename': {
      const over = op.replaced !== undefined
      if (model.renameAtomic) {
        return [{ id: id(''), op: i, kind: 'meta', dirs: [op.fromDir, op.toDir], names: op.ino, renameOver: over, apply: (t) => { dropEntry(t, op.fromDir, op.fromName, op.ino); setEntry(t, op.toDir, op.toName, op.ino) } }]
      }
      // Not atomic: the old name goes, the new one comes, the source goes, one at a time.
      const parts: Piece[] = []
      if (over) parts.push({ id: id('u'), op: i, kind: 'meta', dirs: [op.toDir], renameOver: true, apply: (t) => dropEntry(t, op.toDir, op.toName) })
      parts.push({ id: id('l'), op: i, kind: 'meta', dirs: [op.toDir], names: op.ino, renameOver: over, apply: (t) => { if (!t.nodes.has(op.ino)) t.file(op.ino); setEntry(t, op.toDir, op.toName, op.ino) } })
      parts.push({ id: id('s'), op: i, kind: 'meta', dirs: [op.fromDir], apply: (t) => dropEntry(t, op.fromDir, op.fromName, op.ino) })
      return parts
    }
    case 'symlink':
      return [{ id: id(''), op: i, kind: 'meta', dirs: [op.dir], names: op.ino, apply: (t) => { t.nodes.set(op.ino, { kind: 'link', target: op.target }); setEntry(t, op.dir, op.name, op.ino) } }]
    case 'exchange': {
      const swap = (t: Tree): void => { setEntry(t, op.aDir, op.aName, op.bIno); setEntry(t, op.bDir, op.bName, op.aIno) }
      if (model.renameAtomic) return [{ id: id(''), op: i, kind: 'meta', dirs: [op.aDir, op.bDir], apply: swap }]
      // Not atomic: one name goes, then each name takes the other's inode, one at a time.
      return [
        { id: id('u'), op: i, kind: 'meta', dirs: [op.bDir], apply: (t) => dropEntry(t, op.bDir, op.bName) },
        { id: id('l'), op: i, kind: 'meta', dirs: [op.bDir], apply: (t) => setEntry(t, op.bDir, op.bName, op.aIno) },
        { id: id('s'), op: i, kind: 'meta', dirs: [op.aDir], apply: (t) => setEntry(t, op.aDir, op.aName, op.bIno) },
      ]
    }
    case 'truncate':
      return [{ id: id(''), op: i, kind: 'meta', ino: op.ino, dirs: [], apply: (t) => t.file(op.ino).events.push({ t: 'truncate', size: op.size, id: id('') }) }]
    case 'write':
      return splitWrite(op.off, op.len, model.splitWrites).map(([off, len], k) => {
        const pid = id(`.${k}`)
        return { id: pid, op: i, kind: 'data', ino: op.ino, dirs: [], apply: (t: Tree) => t.file(op.ino).events.push({ t: 'write', off, len, srcOff: op.srcOff + (off - op.off), id: pid }) }
      })
    case 'tmpfile':
    case 'fsync':
    case 'syncfs':
      return []
  }
}

/** Replay every op in order: what the process itself saw at the end. */
export function replayAll(start: Tree, ops: Op[]): Tree {
  const t = start.clone()
  ops.forEach((op, i) => { for (const p of piecesOf(op, i, { splitWrites: false, renameAtomic: true })) p.apply(t) })
  return t
}
