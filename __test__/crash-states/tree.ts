// The abstract file tree that traces are replayed on and crash states are built from:
// directories map names to inode numbers, files are their starting bytes plus the writes and
// truncations applied since (bytes are only computed when a state is materialised).

import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { join } from 'node:path'

export type FileEvent = { t: 'write'; off: number; len: number; srcOff: number; id: string } | { t: 'truncate'; size: number; id: string }

export interface FileNode {
  kind: 'file'
  base: Buffer
  events: FileEvent[]
}
export interface DirNode {
  kind: 'dir'
  entries: Map<string, number>
}
/** A symbolic link (the versioned layout's target): only its text. */
export interface LinkNode {
  kind: 'link'
  target: string
}
export type Node = FileNode | DirNode | LinkNode

export class Tree {
  nodes = new Map<number, Node>()
  constructor(public rootIno: number) {}

  clone(): Tree {
    const t = new Tree(this.rootIno)
    for (const [ino, n] of this.nodes) t.nodes.set(ino, n.kind === 'dir' ? { kind: 'dir', entries: new Map(n.entries) } : n.kind === 'link' ? n : { kind: 'file', base: n.base, events: [...n.events] })
    return t
  }

  dir(ino: number): DirNode {
    // A directory whose own entry did not persist: its entries exist, unreachable.
    if (!this.nodes.has(ino)) this.nodes.set(ino, { kind: 'dir', entries: new Map() })
    const n = this.nodes.get(ino)
    if (!n || n.kind !== 'dir') throw new Error(`inode ${ino} is not a directory`)
    return n
  }

  file(ino: number): FileNode {
    let n = this.nodes.get(ino)
    if (!n) {
      // An inode whose creation persisted only through a later name (a new, empty file).
      n = { kind: 'file', base: Buffer.alloc(0), events: [] }
      this.nodes.set(ino, n)
    }
    if (n.kind !== 'file') throw new Error(`inode ${ino} is not a file`)
    return n
  }

  /** The inode at `rel` (slash-separated, relative to the root), if any. */
  lookup(rel: string): number | undefined {
    let ino = this.rootIno
    for (const part of rel.split('/').filter((p) => p !== '' && p !== '.')) {
      const n = this.nodes.get(ino)
      if (!n || n.kind !== 'dir') return undefined
      const next = n.entries.get(part)
      if (next === undefined) return undefined
      ino = next
    }
    return ino
  }

  /** Every name reachable from the root, as relative paths, with its inode. */
  walk(): Array<{ rel: string; ino: number; node: Node }> {
    const out: Array<{ rel: string; ino: number; node: Node }> = []
    const visit = (ino: number, prefix: string): void => {
      const d = this.nodes.get(ino)
      if (!d || d.kind !== 'dir') return
      for (const name of [...d.entries.keys()].sort()) {
        const child = d.entries.get(name) as number
        const node = this.nodes.get(child) ?? this.file(child)
        const rel = prefix ? `${prefix}/${name}` : name
        out.push({ rel, ino: child, node })
        if (node.kind === 'dir') visit(child, rel)
      }
    }
    visit(this.rootIno, '')
    return out
  }

  /** A key equal for trees of equal shape and equal write histories. */
  key(): string {
    return this.walk().map(({ rel, ino, node }) => (node.kind === 'dir' ? `${rel}/` : node.kind === 'link' ? `${rel}->${node.target}` : `${rel}=${ino}:${node.base.length}:${node.events.map((e) => e.id).join(',')}`)).join('|')
  }
}

/** The bytes of a file: its starting bytes, then its writes (from `source`) and truncations in order. */
export function bytesOf(node: FileNode, source: Buffer): Buffer {
  let size = node.base.length
  for (const e of node.events) size = e.t === 'truncate' ? e.size : Math.max(size, e.off + e.len)
  let cur = Buffer.from(node.base)
  for (const e of node.events) {
    if (e.t === 'truncate') {
      const next = Buffer.alloc(e.size)
      cur.copy(next, 0, 0, Math.min(cur.length, e.size))
      cur = next
    } else {
      if (cur.length < e.off + e.len) {
        const next = Buffer.alloc(e.off + e.len)
        cur.copy(next)
        cur = next
      }
      source.copy(cur, e.off, e.srcOff, e.srcOff + e.len)
    }
  }
  if (cur.length !== size) throw new Error('size bookkeeping')
  return cur
}

/** Read a real directory into a tree, numbering inodes from `next`. */
export function treeFromDisk(dir: string): Tree {
  let next = 1
  const t = new Tree(next++)
  const visit = (path: string, ino: number): void => {
    const d: DirNode = { kind: 'dir', entries: new Map() }
    t.nodes.set(ino, d)
    for (const name of readdirSync(path).sort()) {
      const child = next++
      d.entries.set(name, child)
      const p = join(path, name)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) t.nodes.set(child, { kind: 'link', target: readlinkSync(p) })
      else if (st.isDirectory()) visit(p, child)
      else t.nodes.set(child, { kind: 'file', base: readFileSync(p), events: [] })
    }
  }
  visit(dir, t.rootIno)
  return t
}
