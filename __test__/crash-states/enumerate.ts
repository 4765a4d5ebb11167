// Enumerate: for every crash point (after each op) every set of pieces the model lets have
// persisted, built into a tree and deduplicated.

import { type Model } from './models.js'
import { piecesOf, type Op, type Piece } from './ops.js'
import { type Tree } from './tree.js'

/** At most this many pieces are left free to persist or not at one crash point (2^17 sets: a versioned directory commit at 'none' under the weak model needs 17). */
export const MAX_FREE = 17

export interface CrashState {
  tree: Tree
  /** Reached by a crash after the call had returned (its promise resolved). */
  afterReturn: boolean
  /** Reached by a crash before it had returned. */
  beforeReturn: boolean
}

export interface Enumeration {
  states: Map<string, CrashState>
  /** Crash points where free pieces were merged to stay within MAX_FREE. */
  capped: number
}

/** Has `ino` been made by O_TMPFILE and not yet linked when op `at` runs? */
function unnamedAt(ino: number, at: number, ops: Op[]): boolean {
  const made = ops.findIndex((op) => op.t === 'tmpfile' && op.ino === ino)
  if (made < 0 || made > at) return false
  return !ops.slice(made, at).some((op) => op.t === 'link' && op.ino === ino)
}

/**
 * Where an fsync of a nameless file forces nothing (btrfs), the data it flushed still commits
 * with the journal: once any name change issued after that fsync has persisted in the journal,
 * so has that data.
 */
function dataOrderedBy(ops: Op[], k: number, pieces: Piece[], model: Model): Array<{ at: number; data: Piece[] }> {
  if (model.unnamedSyncForcesData) return []
  const out: Array<{ at: number; data: Piece[] }> = []
  ops.slice(0, k).forEach((op, at) => {
    if (op.t === 'fsync' && !op.dir && unnamedAt(op.ino, at, ops)) out.push({ at, data: pieces.filter((p) => p.kind === 'data' && p.ino === op.ino && p.op < at) })
  })
  return out
}

function forcedBy(sync: Extract<Op, { t: 'fsync' }>, at: number, pieces: Piece[], model: Model, ops: Op[]): Piece[] {
  const before = pieces.filter((p) => p.op < at)
  const own = (p: Piece): boolean => p.ino === sync.ino
  if (sync.dir) {
    if (model.dirSync === 'journal') return before.filter((p) => p.kind === 'meta')
    return before.filter((p) => p.kind === 'meta' && p.dirs.includes(sync.ino))
  }
  if (!model.unnamedSyncForcesData && unnamedAt(sync.ino, at, ops)) return []
  switch (model.fileSync) {
    case 'journal': return before.filter((p) => p.kind === 'meta' || own(p))
    case 'data-and-names': return before.filter((p) => own(p) || (p.kind === 'meta' && p.names === sync.ino))
    case 'data': return before.filter(own)
  }
}

function* subsets<T>(items: T[]): Generator<T[]> {
  const n = items.length
  for (let mask = 0; mask < 1 << n; mask++) yield items.filter((_, i) => mask & (1 << i))
}

/** Merge data pieces of one op together until at most `max` free items remain. */
function group(free: Piece[], max: number): { items: Piece[][]; capped: boolean } {
  let items = free.map((p) => [p])
  if (items.length <= max) return { items, capped: false }
  const byOp = new Map<string, Piece[]>()
  for (const p of free) {
    const k = p.kind === 'data' ? `d${p.op}` : p.id
    byOp.set(k, [...(byOp.get(k) ?? []), p])
  }
  items = [...byOp.values()]
  if (items.length > max) throw new Error(`${items.length} free pieces at one crash point even after merging writes (cap ${max})`)
  return { items, capped: true }
}

/**
 * The starting tree with every directory and link the ops make already there, unnamed: a
 * name that persists without the mkdir or symlink that made its inode still names a directory
 * (empty) or that link, never a stray file.
 */
function withMadeNodes(start: Tree, ops: Op[]): Tree {
  const t = start.clone()
  for (const op of ops) {
    if (op.t === 'mkdir') t.nodes.set(op.ino, { kind: 'dir', entries: new Map() })
    if (op.t === 'symlink') t.nodes.set(op.ino, { kind: 'link', target: op.target })
  }
  return t
}

export function enumerate(from: Tree, ops: Op[], returnedAt: number, model: Model): Enumeration {
  const start = withMadeNodes(from, ops)
  const pieces = ops.flatMap((op, i) => piecesOf(op, i, model))
  const states = new Map<string, CrashState>()
  let capped = 0
  const add = (persisted: Set<Piece>, after: boolean): void => {
    const t = start.clone()
    for (const p of pieces) if (persisted.has(p)) p.apply(t)
    const key = t.key()
    const s = states.get(key) ?? { tree: t, afterReturn: false, beforeReturn: false }
    if (after) s.afterReturn = true
    else s.beforeReturn = true
    states.set(key, s)
  }
  for (let k = 0; k <= ops.length; k++) {
    const issued = pieces.filter((p) => p.op < k)
    const forced = new Set<Piece>()
    ops.slice(0, k).forEach((op, i) => {
      if (op.t === 'fsync') for (const p of forcedBy(op, i, pieces, model, ops)) forced.add(p)
      // syncfs commits the whole file system under every model: all that was issued before it.
      if (op.t === 'syncfs') for (const p of pieces) if (p.op < i) forced.add(p)
    })
    const after = k >= returnedAt
    if (model.order === 'prefix-all') {
      const minLen = Math.max(0, ...issued.map((p, i) => (forced.has(p) ? i + 1 : 0)))
      for (let len = minLen; len <= issued.length; len++) add(new Set(issued.slice(0, len)), after)
      continue
    }
    const meta = issued.filter((p) => p.kind === 'meta')
    const prefixes: Piece[][] = []
    if (model.order === 'journal') {
      const minLen = model.fileSync === 'journal' ? Math.max(0, ...meta.map((p, i) => (forced.has(p) ? i + 1 : 0))) : 0
      for (let len = minLen; len <= meta.length; len++) prefixes.push(meta.slice(0, len))
    } else prefixes.push([])
    const ordered = dataOrderedBy(ops, k, pieces, model)
    for (const prefix of prefixes) {
      const fixed = new Set<Piece>([...prefix, ...forced])
      for (const { at, data } of ordered) if (prefix.some((p) => p.op > at)) for (const d of data) fixed.add(d)
      const free = issued.filter((p) => !fixed.has(p) && (model.order === 'any' || p.kind === 'data'))
      const { items, capped: c } = group(free, MAX_FREE)
      if (c) capped++
      for (const chosen of subsets(items)) {
        const persisted = new Set<Piece>([...fixed, ...chosen.flat()])
        if (model.renameOverForcesData) {
          for (const p of [...persisted]) if (p.renameOver && p.names !== undefined) for (const d of issued) if (d.kind === 'data' && d.ino === p.names && d.op < p.op) persisted.add(d)
        }
        add(persisted, after)
      }
    }
  }
  return { states, capped }
}
