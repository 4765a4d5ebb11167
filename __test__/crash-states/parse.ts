// Parse: the trace of all workloads into each workload's logical operations. strace -y shows
// the path behind every descriptor (so dup'ed and inherited descriptors need no bookkeeping),
// `*at` calls are read relative to their directory descriptor, and an O_TMPFILE file is
// followed by its `#<inode>` name until it is linked. Anything that touches a workload's files
// and is not understood is an error, never skipped.

import { dirname, basename, normalize } from 'node:path'
import { parseTrace, type Call } from '../reliability/trace.js'
import { piecesOf, type Op } from './ops.js'
import { type Tree } from './tree.js'
import { type Workload } from './plan.js'

export interface Parsed {
  ops: Op[]
  /** How many ops had completed when the call returned (its promise resolved). */
  returnedAt: number
  /** The live tree after all ops, inode numbers as in `ops`. */
  live: Tree
}

/** Calls that change neither names nor bytes (or are hints, like sync_file_range). */
const INERT = new Set([
  'close', 'read', 'pread64', 'readv', 'preadv', 'preadv2', 'fstat', 'newfstatat', 'statx', 'stat', 'lstat', 'fstatfs', 'statfs',
  'flock', 'fcntl', 'getdents64', 'fadvise64', 'readlink', 'readlinkat', 'access', 'faccessat', 'faccessat2',
  'fgetxattr', 'getxattr', 'lgetxattr', 'flistxattr', 'listxattr', 'llistxattr', 'fchmod', 'fchown', 'fchmodat', 'fchownat',
  'utimensat', 'futimesat', 'sync_file_range', 'dup', 'dup2', 'dup3', 'chdir', 'execve', 'getcwd', 'epoll_ctl', 'munmap', 'fsetxattr', 'fremovexattr', 'setxattr', 'removexattr', 'chown', 'chmod', 'lchown',
])

const fdRef = /^(\d+)<([^>]*)>/
const str = /"((?:[^"\\]|\\.)*)"/g

interface Ctx {
  w: Workload
  tree: Tree
  ops: Op[]
  returnedAt: number
  next: number
}

/** The calls of `text` grouped by the workload whose files they touch, parsed into ops. */
export function parseWorkloads(text: string, plan: Workload[], starts: Map<string, Tree>): Map<string, Parsed> {
  const calls = parseTrace(text)
  const ctx = new Map<string, Ctx>()
  let maxIno = 0
  for (const w of plan) {
    const tree = (starts.get(w.id) as Tree).clone()
    for (const ino of tree.nodes.keys()) maxIno = Math.max(maxIno, ino)
    ctx.set(w.id, { w, tree, ops: [], returnedAt: -1, next: 0 })
  }
  // Inode numbers are unique across workloads.
  let nextIno = maxIno + 1
  const fdPath = new Map<string, string>()
  const offsets = new Map<string, number>()
  const tmpfiles = new Map<string, number>() // `<dir>/#<inode>` → our inode
  const unlinked = new Map<string, number>() // `<path> (deleted)` → our inode
  const baseOf = (w: Workload): string => dirname(w.root)
  const owner = (path: string): Ctx | undefined => {
    for (const c of ctx.values()) if (path === baseOf(c.w) || path.startsWith(`${baseOf(c.w)}/`)) return c
    return undefined
  }

  for (const call of calls) {
    for (const m of `${call.args} ${call.result}`.matchAll(/(?<![\w])(\d+)<([^>]*)>/g)) fdPath.set(m[1], m[2])
    const paths = [...`${call.args} ${call.result}`.matchAll(/<([^>]*)>/g)].map((m) => m[1]).concat([...call.args.matchAll(str)].map((m) => m[1]))
    const procFd = /"\/proc\/self\/fd\/(\d+)"/.exec(call.args)
    if (procFd && fdPath.has(procFd[1])) paths.push(fdPath.get(procFd[1]) as string)
    const touched = paths.map((p) => owner(p.replace(/ \(deleted\)$/, ''))).find((c) => c !== undefined)
    if (!touched) continue
    const { w } = touched
    const failed = call.result.startsWith('-1')
    const rel = (p: string): string => normalize(p).slice(w.root.length + 1)
    const inRoot = (p: string): boolean => normalize(p) === w.root || normalize(p).startsWith(`${w.root}/`)
    // The markers and the source lie beside the tree: only the markers mean anything.
    const firstPath = [...call.args.matchAll(str)].map((m) => m[1])[0]
    if (/^open(at)?$/.test(call.name) && firstPath && !inRoot(firstPath)) {
      if (firstPath === w.returned && !failed) touched.returnedAt = touched.ops.length
      else if (firstPath !== w.begin && firstPath !== w.source) throw unknown(call, 'an open outside the tree')
      if (firstPath === w.source) offsets.set(fdNum(call.result), 0)
      continue
    }
    if (failed) continue
    const inoOfFd = (fd: string): number => {
      const path = fdPath.get(fd)
      if (path === undefined) throw unknown(call, `descriptor ${fd} without a path`)
      const tmp = tmpfiles.get(path.replace(/ \(deleted\)$/, ''))
      if (tmp !== undefined) return tmp
      if (path.endsWith(' (deleted)')) {
        const gone = unlinked.get(path.slice(0, -' (deleted)'.length))
        if (gone === undefined) throw unknown(call, `unknown deleted file ${path}`)
        return gone
      }
      if (!inRoot(path)) throw unknown(call, `a descriptor outside the tree (${path})`)
      const ino = touched.tree.lookup(rel(path))
      if (ino === undefined) throw unknown(call, `no such file in the replay: ${path}`)
      return ino
    }
    const isSource = (fd: string): boolean => fdPath.get(fd) === w.source
    const parentAndName = (p: string): { dir: number; name: string } => {
      const dir = touched.tree.lookup(rel(dirname(normalize(p))))
      if (dir === undefined) throw unknown(call, `no parent for ${p}`)
      return { dir, name: basename(p) }
    }
    const push = (op: Op): void => {
      touched.ops.push(op)
      // Keep the live tree current, so later paths resolve.
      applyLive(touched.tree, op)
    }
    const args = call.args
    switch (call.name) {
      case 'open':
      case 'openat': {
        const path = normalize(firstPath as string)
        const fd = fdNum(call.result)
        if (args.includes('O_TMPFILE')) {
          const ino = nextIno++
          const shown = fdRef.exec(call.result)?.[2]
          if (!shown) throw unknown(call, 'O_TMPFILE without a shown name')
          tmpfiles.set(shown.replace(/ \(deleted\)$/, ''), ino)
          push({ t: 'tmpfile', ino })
          offsets.set(fd, 0)
          break
        }
        let ino = touched.tree.lookup(rel(path))
        if (ino === undefined) {
          if (!args.includes('O_CREAT')) throw unknown(call, 'an open of a missing file succeeded')
          ino = nextIno++
          push({ t: 'create', ...parentAndName(path), ino })
        } else if (args.includes('O_TRUNC') && touched.tree.nodes.get(ino)?.kind === 'file') {
          push({ t: 'truncate', ino, size: 0 })
        }
        offsets.set(fd, 0)
        if (args.includes('O_APPEND')) throw unknown(call, 'O_APPEND is not modelled')
        break
      }
      case 'linkat':
      case 'link': {
        const [from, to] = [...args.matchAll(str)].map((m) => m[1])
        if (!procFd && !from) throw unknown(call, 'a link by descriptor (AT_EMPTY_PATH)')
        const ino = procFd ? inoOfFd(procFd[1]) : touched.tree.lookup(rel(from))
        if (ino === undefined) throw unknown(call, 'link of an unknown file')
        push({ t: 'link', ...parentAndName(to), ino })
        break
      }
      case 'mkdir':
      case 'mkdirat': {
        push({ t: 'mkdir', ...parentAndName(firstPath as string), ino: nextIno++ })
        break
      }
      case 'symlink':
      case 'symlinkat': {
        // symlinkat("text", dirfd, "name"): the text is not a path of the tree.
        const [text, at] = [...args.matchAll(str)].map((m) => m[1])
        if (text === undefined || at === undefined || !inRoot(at)) throw unknown(call, 'unreadable symlink')
        push({ t: 'symlink', ...parentAndName(normalize(at)), ino: nextIno++, target: text })
        break
      }
      case 'syncfs':
        push({ t: 'syncfs' })
        break
      case 'rename':
      case 'renameat':
      case 'renameat2': {
        // A whiteout leaves a name behind: not a rename.
        if (/RENAME_WHITEOUT/.test(args)) throw unknown(call, 'a rename that is not a move')
        const [from, to] = [...args.matchAll(str)].map((m) => normalize(m[1]))
        if (!inRoot(from) || !inRoot(to)) throw unknown(call, 'a rename across the tree')
        const ino = touched.tree.lookup(rel(from))
        if (ino === undefined) throw unknown(call, 'rename of an unknown name')
        if (/RENAME_EXCHANGE/.test(args)) {
          const other = touched.tree.lookup(rel(to))
          if (other === undefined) throw unknown(call, 'an exchange with a missing name')
          const a = parentAndName(from)
          const b = parentAndName(to)
          push({ t: 'exchange', aDir: a.dir, aName: a.name, aIno: ino, bDir: b.dir, bName: b.name, bIno: other })
          break
        }
        const replaced = touched.tree.lookup(rel(to))
        if (replaced !== undefined) unlinked.set(to, replaced)
        const f = parentAndName(from)
        const t = parentAndName(to)
        push({ t: 'rename', fromDir: f.dir, fromName: f.name, toDir: t.dir, toName: t.name, ino, replaced })
        break
      }
      case 'unlink':
      case 'unlinkat':
      case 'rmdir': {
        const p = normalize(firstPath as string)
        const ino = touched.tree.lookup(rel(p))
        if (ino === undefined) throw unknown(call, 'unlink of an unknown name')
        // rmdir: the kernel refused it unless the directory was empty, so it only drops the name.
        if ((call.name === 'rmdir' || args.includes('AT_REMOVEDIR')) !== (touched.tree.nodes.get(ino)?.kind === 'dir')) throw unknown(call, 'AT_REMOVEDIR on a file, or an unlink of a directory')
        unlinked.set(p, ino)
        push({ t: 'unlink', ...parentAndName(p), ino })
        break
      }
      case 'write':
      case 'pwrite64':
      case 'writev':
      case 'pwritev':
      case 'pwritev2': {
        const fd = (/^(\d+)</.exec(args) ?? [])[1] as string
        const n = Number(call.result)
        const positional = call.name.startsWith('p')
        const off = positional ? Number((call.name === 'pwritev2' ? /,\s*(\d+),\s*\w+$/ : /,\s*(\d+)$/).exec(args)?.[1]) : offsets.get(fd) ?? 0
        if (!positional) offsets.set(fd, off + n)
        if (!Number.isInteger(off)) throw unknown(call, 'unreadable offset')
        if (n > 0) push({ t: 'write', ino: inoOfFd(fd), off, len: n, srcOff: off })
        break
      }
      case 'copy_file_range': {
        // copy_file_range(in, [off_in] | NULL, out, [off_out] | NULL, len, flags)
        const m = /^(\d+)<[^>]*>, (NULL|\[(\d+)(?: => \d+)?\]), (\d+)<[^>]*>, (NULL|\[(\d+)(?: => \d+)?\]), (\d+), \d+$/.exec(args)
        if (!m) throw unknown(call, 'unreadable copy_file_range')
        const n = Number(call.result)
        const inOff = m[3] !== undefined ? Number(m[3]) : offsets.get(m[1]) ?? 0
        const outOff = m[6] !== undefined ? Number(m[6]) : offsets.get(m[4]) ?? 0
        if (m[3] === undefined) offsets.set(m[1], inOff + n)
        if (m[6] === undefined) offsets.set(m[4], outOff + n)
        if (!isSource(m[1])) throw unknown(call, 'a copy from another file than the source')
        if (n > 0) push({ t: 'write', ino: inoOfFd(m[4]), off: outOff, len: n, srcOff: inOff })
        break
      }
      case 'lseek': {
        const m = /^(\d+)<[^>]*>, (-?\d+), (SEEK_SET|SEEK_CUR|SEEK_END)$/.exec(args)
        if (!m) throw unknown(call, 'unreadable lseek')
        offsets.set(m[1], Number(call.result))
        break
      }
      case 'ftruncate': {
        const m = /^(\d+)<[^>]*>, (\d+)$/.exec(args)
        if (!m) throw unknown(call, 'unreadable ftruncate')
        push({ t: 'truncate', ino: inoOfFd(m[1]), size: Number(m[2]) })
        break
      }
      case 'fsync':
      case 'fdatasync': {
        const fd = (/^(\d+)</.exec(args) ?? [])[1] as string
        if (isSource(fd)) break
        const ino = inoOfFd(fd)
        push({ t: 'fsync', ino, dir: touched.tree.nodes.get(ino)?.kind === 'dir', call: call.name })
        break
      }
      case 'ioctl':
        // Reading a directory's inode flags changes nothing; any other request is unmodelled.
        if (/^\d+<[^>]*>, FS_IOC_GETFLAGS,/.test(args)) break
        throw unknown(call, 'an ioctl the models do not know')
      default:
        if (INERT.has(call.name)) break
        throw unknown(call, 'a call the models do not know')
    }
  }
  const out = new Map<string, Parsed>()
  for (const [id, c] of ctx) {
    if (c.returnedAt < 0) throw new Error(`${id}: the trace never shows the call returning`)
    out.set(id, { ops: c.ops, returnedAt: c.returnedAt, live: c.tree })
  }
  return out
}

function fdNum(result: string): string {
  return (/^(\d+)/.exec(result) ?? [])[1] ?? ''
}

function unknown(call: Call, why: string): Error {
  return new Error(`unmodelled syscall (${why}): ${call.name}(${call.args}) = ${call.result}`)
}

function applyLive(t: Tree, op: Op): void {
  for (const p of piecesOf(op, -1, { splitWrites: false, renameAtomic: true })) p.apply(t)
}
