// Shared fixtures: scratch directories, directory snapshots, deterministic payloads.

import test, { type Implementation } from 'ava'
import { xxhash128 } from 'hash-wasm'
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, lstatSync, readlinkSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

/** Is `cmd` on the PATH? Tests that need a tool are skipped, and say so, where it is missing. */
export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('which', [cmd], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** The directories `freshDir` made for this test file; removed when its tests are over. */
const madeDirs: string[] = []

/** A fresh empty directory for one test, removed with everything in it once the file's tests end. */
export function freshDir(prefix = 'ap-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  madeDirs.push(dir)
  return dir
}

/**
 * Remove `dir` whatever a test left in it: an unwritable directory or an immutable file is
 * made removable first. A run must not leave gigabytes behind: CI's disk can be small.
 */
export function removeTree(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
    return
  } catch {
    // Undo what a test may have set, then try once more.
  }
  if (hasCommand('chattr')) spawnSync('chattr', ['-R', '-i', dir], { stdio: 'ignore' })
  spawnSync('chmod', ['-R', 'u+rwx', dir], { stdio: 'ignore' })
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch (err) {
    process.stderr.write(`could not remove the test directory ${dir}: ${(err as Error).message}\n`)
  }
}

test.after.always('remove the directories this file made', () => {
  for (const dir of madeDirs.splice(0)) removeTree(dir)
})

/**
 * A fresh directory holding `name` with the bytes `old`, and a snapshot of it: the setup of
 * every test that checks a failed publish left the target as it was.
 */
export function dirWithOldTarget(name = 'blob.bin'): { dir: string; target: string; before: string[] } {
  const dir = freshDir()
  const target = join(dir, name)
  writeFileSync(target, 'old')
  return { dir, target, before: snapshot(dir) }
}

/** Every entry under `dir` (recursively) with its type, mode, size, mtime and content. */
export function snapshot(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      const st = lstatSync(path, { bigint: true })
      const key = `${rel}${name} mode=${st.mode.toString(8)} mtime=${st.mtimeNs}`
      if (st.isDirectory()) {
        out.push(`${key} dir`)
        walk(path, `${rel}${name}/`)
      } else if (st.isSymbolicLink()) {
        out.push(`${key} -> ${readlinkSync(path)}`)
      } else {
        out.push(`${key} ${readFileSync(path).toString('base64')}`)
      }
    }
  }
  walk(dir, '')
  return out
}

/** The names in `dir`, sorted. */
export function namesIn(dir: string): string[] {
  return readdirSync(dir).sort()
}

/** Every file under `dir`, relative, sorted, with its content (as UTF-8). */
export function treeOf(dir: string, below = ''): string[] {
  const out: string[] = []
  for (const entry of readdirSync(join(dir, below), { withFileTypes: true })) {
    const rel = below ? `${below}/${entry.name}` : entry.name
    if (entry.isDirectory()) out.push(...treeOf(dir, rel))
    else out.push(`${rel}=${readFileSync(join(dir, rel), 'utf8')}`)
  }
  return out.sort()
}

/**
 * Run `node args…`, and SIGKILL it a random moment (under 20 ms) after it has printed a random
 * number of lines, 1 to `most`; how many it printed. (A fixture printing a line per commit is
 * then killed after some commits, somewhere in the next.)
 */
export function killAfterRandomLines(args: string[], most: number): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] })
  const after = 1 + Math.floor(Math.random() * most)
  let seen = 0
  return new Promise((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').filter(Boolean).length
      if (seen >= after) setTimeout(() => child.kill('SIGKILL'), Math.random() * 20)
    })
    child.on('close', () => resolve(seen))
  })
}

/** Scratch files left in `dir`. */
export function scratchIn(dir: string): string[] {
  return namesIn(dir).filter((n) => n.includes('.oxentmp.'))
}

/**
 * Two spellings of one directory (`dir/real`, and `dir/alias` linking to it), and a FIFO
 * `dir/in.fifo` whose writer, started now, waits for a reader; its data, `FIFODATA`, then
 * waits in the pipe until a copy reads it.
 */
export function aliasedDirWithFifo(dir: string): { fifo: string; writerDone: Promise<unknown> } {
  mkdirSync(join(dir, 'real'))
  symlinkSync('real', join(dir, 'alias'))
  const fifo = join(dir, 'in.fifo')
  execFileSync('mkfifo', [fifo])
  const writer = spawn('sh', ['-c', 'printf FIFODATA > "$1"', 'sh', fifo], { stdio: 'ignore' })
  return { fifo, writerDone: once(writer, 'exit') }
}

/** The xorshift32 byte stream: deterministic, incompressible, cheap to make. */
export function xorshiftBytes(length: number, seed = 0x12345678): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(length / 4) * 4)
  let s = seed >>> 0
  for (let i = 0; i < out.length; i += 4) {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    out.writeUInt32LE(s, i)
  }
  return out.subarray(0, length)
}

const xxhsumOnPath = hasCommand('xxhsum')

/**
 * The XXH3-128 of a file from an implementation other than ours: `xxhsum -H2` where it is
 * installed (CI), else hash-wasm's, so the cross-check still runs on a machine with only Node.
 */
export async function referenceHash(file: string): Promise<string> {
  if (xxhsumOnPath) return execFileSync('xxhsum', ['-H2', file], { encoding: 'utf8' }).split(/\s+/)[0]
  return xxhash128(readFileSync(file))
}

/**
 * What `xxhsum -H2 <files>` prints (`<hash>  <name>` per file, `stdin` for `-`); from xxhsum
 * itself where it is installed, else assembled from hash-wasm's hashes in xxhsum's format.
 */
export async function referenceHashLines(files: string[], stdin?: string | Buffer): Promise<string> {
  if (xxhsumOnPath) return execFileSync('xxhsum', ['-H2', ...files], { input: stdin, encoding: 'utf8' })
  const lines = await Promise.all(files.map(async (f) => `${f === '-' ? await xxhash128(stdin ?? '') : await referenceHash(f)}  ${f === '-' ? 'stdin' : f}\n`))
  return lines.join('')
}

/** Which reference `referenceHash` uses, for the tests' logs. */
export const hashReferenceName = xxhsumOnPath ? 'xxhsum -H2' : 'hash-wasm (xxhsum not on PATH)'

/** Is the process root (CI is; mknod, mount, runuser and chattr need it)? */
export const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

/**
 * Wait until no scratch file is left under `dir` (up to `ms`). An accepted abort settles a
 * call at once and its clean-up follows on the thread pool, so tests of what an abort leaves
 * on disk look after the clean-up has had its moment.
 */
export async function cleanedUp(dir: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms
  while (scratchIn(dir).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
}

/** What a test needs besides tools and root, and how its skip title names it. */
export interface Condition {
  ok: boolean
  what: string
}

/**
 * `register` (ava's `test` or `test.serial`) where every command in `tools` is on the PATH and,
 * with `root: true`, the process is root (and every `also` holds); otherwise the test is skipped with what is missing in
 * its title, so the report says why.
 */
export function needs(tools: string[], opts: { root?: boolean; serial?: boolean; also?: Condition | Condition[] } = {}): (title: string, impl: Implementation<[]>) => void {
  const missing = tools.filter((tool) => !hasCommand(tool))
  if (opts.root && !isRoot) missing.push('root')
  for (const also of [opts.also ?? []].flat()) if (!also.ok) missing.push(also.what)
  if (missing.length > 0) return (title) => test.skip(`${title} [skipped: needs ${missing.join(', ')}]`, () => {})
  return (title, impl) => (opts.serial ? test.serial(title, impl) : test(title, impl))
}

/**
 * For `needs(…, { also })`: POSIX file-system behaviour (FIFOs, Unix sockets, `/dev` files,
 * symlinks without privilege). Windows has none of them as Node's tests would make them.
 */
export const posix = { ok: process.platform !== 'win32', what: 'POSIX (FIFOs, sockets, /dev, unprivileged symlinks; not Windows)' }

/** For `needs(…, { also })`: GNU coreutils' `mv -T` (no BSD or macOS mv has it): Linux. */
export const gnuLinux = { ok: process.platform === 'linux', what: 'Linux (GNU mv -T)' }

/**
 * For `needs(…, { also })`: a POSIX behaviour that Windows lacks, named in the skip title (file
 * modes, nanosecond times, signals, a shell, errno values).
 */
export const posixOnly = (what: string): Condition => ({ ok: process.platform !== 'win32', what: `POSIX ${what}` })

/** For `needs(…, { also })`: what only Linux has (`/proc`, its errno values, `setpriv`). */
export const linuxOnly = (what: string): Condition => ({ ok: process.platform === 'linux', what: `Linux ${what}` })

/**
 * For `needs(…, { also })`: directory publishes, plain or versioned. They swap two names in one
 * step of the kernel (`renameat2` with `RENAME_EXCHANGE` or `RENAME_NOREPLACE` on Linux,
 * `renameatx_np` with `RENAME_SWAP` or `RENAME_EXCL` on macOS); FreeBSD's `renameat` has neither
 * flag, so a commit there fails with ENOSYS, and Windows refuses a directory publish at once.
 */
export const directorySwap: Condition = {
  ok: process.platform === 'linux' || process.platform === 'darwin',
  what: 'Linux or macOS (an atomic directory swap: FreeBSD has no exchanging rename, Windows refuses directory publishes)',
}

/** Does `command args…` run and exit 0 (within 30 s, its output discarded)? */
function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore', timeout: 30_000, killSignal: 'SIGKILL' }).status === 0
}

let setprivProbe: Condition | undefined

/**
 * For `needs(…, { also })` in tests that, as root, run a command as nobody through
 * `setpriv --reuid=65534 --regid=65534 --clear-groups`: util-linux's setpriv, which can switch
 * users. BusyBox's (Alpine's only one) knows none of these options, and a container may forbid
 * the switch: the probe runs that very command once (`true` as nobody) and the test is skipped,
 * saying so, if it fails. Always true for a plain user, who runs the command as itself.
 */
export function setprivSwitchesUser(): Condition {
  setprivProbe ??= {
    ok: !isRoot || (process.platform === 'linux' && succeeds('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'true'])),
    what: 'a setpriv that can run a command as nobody (util-linux setpriv --reuid; BusyBox setpriv has no --reuid)',
  }
  return setprivProbe
}

let mountProbe: Condition | undefined

/**
 * For `needs(…, { also })` in tests that mount (a tmpfs, a bind mount, a loop image): root on
 * Linux with `mount`, `umount` and CAP_SYS_ADMIN. A container's root usually lacks the
 * capability while `mount` is on its PATH all the same (BusyBox), so the probe mounts a 64 KiB
 * tmpfs on a fresh directory once and unmounts it; the skip title names what is missing.
 */
export function mountsTmpfs(): Condition {
  if (mountProbe) return mountProbe
  const missingTools = ['mount', 'umount'].filter((tool) => !hasCommand(tool))
  if (process.platform !== 'linux') mountProbe = { ok: false, what: 'Linux (tmpfs and bind mounts)' }
  else if (!isRoot) mountProbe = { ok: false, what: 'root (to mount)' }
  else if (missingTools.length > 0) mountProbe = { ok: false, what: missingTools.join(', ') }
  else {
    const mnt = mkdtempSync(join(tmpdir(), 'ap-mount-probe-'))
    let ok = succeeds('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt])
    if (ok && !succeeds('umount', [mnt])) ok = false
    try {
      rmSync(mnt, { recursive: true, force: true })
    } catch {
      // Still mounted (the umount failed): left, and the tests that mount are skipped.
    }
    mountProbe = { ok, what: 'CAP_SYS_ADMIN to mount file systems (mount -t tmpfs was refused here)' }
  }
  return mountProbe
}

/** For `needs(…, { also })` in tests that mount an image through a loop device (`losetup`, `mount -o loop`). */
export const loopDevices: Condition = { ok: existsSync('/dev/loop-control'), what: 'loop devices (/dev/loop-control)' }

/**
 * For `needs(…, { also })`: what Windows has and Wine (`npm run test:wine -- --ava` sets
 * ATOMIC_PUBLISH_UNDER_WINE) does not emulate.
 */
export const notUnderWine = (what: string): Condition => ({ ok: process.env['ATOMIC_PUBLISH_UNDER_WINE'] !== '1', what: `Windows itself, not Wine (${what})` })

/**
 * Under Wine a process takes about a second to start, and every file call and thread hop is
 * many times slower than on Windows: there, a round-based test runs one round in
 * `WINE_ROUND_DIVISOR` (rounded up) of the `full` count it runs everywhere else. Titles state
 * the count returned, so a report says what ran.
 */
export const WINE_ROUND_DIVISOR = 10
export const roundsHere = (full: number): number => (process.env['ATOMIC_PUBLISH_UNDER_WINE'] === '1' ? Math.ceil(full / WINE_ROUND_DIVISOR) : full)

/** For a test that runs every input of a list: under Wine, one in `WINE_ROUND_DIVISOR`; elsewhere all. */
export const sampledHere = <T>(all: T[]): T[] => (process.env['ATOMIC_PUBLISH_UNDER_WINE'] === '1' ? all.filter((_, i) => i % WINE_ROUND_DIVISOR === 0) : all)

/**
 * For `needs(…, { also })`: is there room for `bytes` in the temporary directory, with 256 MiB to
 * spare? A test that writes gigabytes is skipped, and says so, on a disk too small for it,
 * rather than filling the disk under every other test.
 */
export function roomFor(bytes: number): { ok: boolean; what: string } {
  const { bavail, bsize } = statfsSync(tmpdir())
  const free = bavail * bsize
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`
  return { ok: free >= bytes + 2 ** 28, what: `${gib(bytes + 2 ** 28)} free in ${tmpdir()} (${gib(free)} free)` }
}

/** How a child process ended, and the JSON line it printed last (if any). */
export interface ChildRun<T> {
  status: number | null
  signal: NodeJS.Signals | null
  out: T | undefined
  stderr: string
}

/**
 * Run a fixture in a child process (so a SIGSEGV or SIGABRT is a failed assertion, not a dead
 * ava worker) and parse the last line of its stdout as JSON. `shell` prefixes a bash command
 * (for example `ulimit -n 64`); `user` runs it as that user through runuser (root only), from
 * a staged copy that user can reach (see `fixtureForOtherUser`);
 * `prefix` runs it under another command (strace).
 */
export function runChild<T>(fixture: string, args: string[], opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; shell?: string; user?: string; prefix?: string[]; timeout?: number } = {}): ChildRun<T> {
  const script = opts.user ? fixtureForOtherUser(fixture) : join(__dirname, 'fixtures', `${fixture}.js`)
  let command = [process.execPath, ...(opts.nodeArgs ?? []), script, ...args]
  if (opts.shell) command = ['bash', '-c', `${opts.shell} && exec "$@"`, 'bash', ...command]
  if (opts.user) command = ['runuser', '-u', opts.user, '--', ...command]
  if (opts.prefix) command = [...opts.prefix, ...command]
  const r = spawnSync(command[0], command.slice(1), {
    encoding: 'utf8',
    env: { ...process.env, UV_USE_IO_URING: '0', ...opts.env },
    timeout: opts.timeout ?? 120_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  })
  const last = r.stdout?.trim().split('\n').at(-1)
  let out: T | undefined
  try {
    out = last ? (JSON.parse(last) as T) : undefined
  } catch {}
  return { status: r.status, signal: r.signal, out, stderr: r.stderr ?? '' }
}

/** Is `dir` and every directory above it searchable by other users (o+x)? */
function reachableByOthers(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return false
    if (dirname(d) === d) return true
  }
}

/**
 * For `needs(…, { also })` in tests that run a fixture as another user (nobody, when the tests
 * run as root): that user must reach the temporary directory, where the fixture is staged and
 * where the test's files live. Always true for a test run as a plain user, which runs the
 * fixture as itself.
 */
export const otherUserReachesTmp: { ok: boolean; what: string } = {
  ok: !isRoot || reachableByOthers(tmpdir()),
  what: `a temporary directory other users can reach (${tmpdir()} is not: set TMPDIR to one, such as /tmp)`,
}

/** The package's root: where `package.json` is, two levels above the compiled tests. */
const packageRoot = join(__dirname, '..', '..')

/** The staged copy of the package and its fixtures, made once per test file. */
let stagedRoot: string | undefined

/**
 * The path of the compiled fixture `name` as another user can run it. A checkout in a 0700
 * directory (root's home, a `mktemp -d`) is out of that user's reach, so the package's entry
 * files, its native addon, its runtime dependencies and the compiled fixtures are copied once
 * into a fresh world-readable directory under the temporary directory; the fixtures'
 * `require('atomic-publish')` finds the copy's own `package.json` there. As a plain user (the
 * fixture then runs as that same user), the fixture where it is.
 */
export function fixtureForOtherUser(name: string): string {
  if (!isRoot) return join(__dirname, 'fixtures', `${name}.js`)
  stagedRoot ??= stagePackage()
  return join(stagedRoot, '.test-build', '__test__', 'fixtures', `${name}.js`)
}

function stagePackage(): string {
  const stage = freshDir('ap-staged-')
  const copy = (rel: string) => cpSync(join(packageRoot, rel), join(stage, rel), { recursive: true })
  const top = readdirSync(packageRoot).filter((f) => f === 'package.json' || /\.(c?js|mjs|node)$/.test(f))
  for (const file of top) copy(file)
  for (const file of readdirSync(join(packageRoot, 'js')).filter((f) => f.endsWith('.js'))) copy(join('js', file))
  copy(join('.test-build', '__test__', 'fixtures'))
  // The runtime dependencies, and theirs (npm hoists them all to the top node_modules).
  const pending = Object.keys((JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {})
  const staged = new Set<string>()
  for (let dep = pending.pop(); dep !== undefined; dep = pending.pop()) {
    const rel = join('node_modules', dep)
    if (staged.has(dep) || !existsSync(join(packageRoot, rel))) continue
    staged.add(dep)
    copy(rel)
    pending.push(...Object.keys((JSON.parse(readFileSync(join(packageRoot, rel, 'package.json'), 'utf8')) as { dependencies?: object }).dependencies ?? {}))
  }
  // Whatever the umask made of the copies, other users may read every file and enter every directory.
  execFileSync('chmod', ['-R', 'a+rX', stage])
  chmodSync(stage, 0o755)
  return stage
}
