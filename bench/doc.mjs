// docs/performance.md, from the output of every bench (`npm run bench -- --write-doc`): the
// machine, the date and the versions first, then each bench's tables as it printed them.

import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem, type } from 'node:os'

const INTRO = {
  'small-publish': ['Small publishes', 'bench:small', 'Publishes per second of 1 KiB and 64 KiB files, one after another and 64 in flight, at each durability level, against write-file-atomic, atomically, fast-write-atomic and a hand-written `fs.promises` publish; ratios are to write-file-atomic in the same run.'],
  ceiling: ['Node against the core alone', 'bench:ceiling', 'The same Rust core run from Rust threads with no Node (`examples/ceiling.rs`), interleaved with `write()` from Node: how much of the protocol\'s own limit Node reaches.'],
  stream: ['Streams', 'bench:stream', 'A large file streamed in 1 MiB chunks, each run in its own process, against `fs.createWriteStream` + fsync, fs-write-stream-atomic and `dd conv=fsync`.'],
  hash: ['XXH3-128', 'bench:hash', 'Hashing throughput against hash-wasm, @node-rs/xxhash, xxhash-addon when installed, and `xxhsum`.'],
  copy: ['Copies', 'bench:copy', '`copyFrom` (the kernel copies; with a hash, the copy is read back and hashed on a second thread) against `fs.promises.copyFile` + fsync + rename.'],
  directory: ['A whole tree', 'bench:directory', '10 000 files of 1 KiB at `\'full\'` published as one directory (`AtomicDir`), against write-file-atomic and `AtomicFile` publishing them file by file, 64 in flight.'],
  hardening: ['Large writes and per-call cost', 'bench:hardening', 'A verified large `write` against `fs.promises.writeFile` + fsync, and the per-call cost over many calls to one target and to many targets.'],
}

const READING = `## Reading the figures

- Every ratio is to a baseline measured in the same run, in the same process or interleaved
  with it; read ratios rather than absolute numbers, which move with the disk and the load.
- atomic-publish does more per publish than the peers: at \`'full'\` it also fsyncs the
  directory (the only contender that is durable when it resolves), creates parents, follows
  symlinks and keeps call order. A durable publish therefore costs two journal commits where
  the peers pay one; compare levels with the durability rows.
- Small writes that arrive while the thread pool is busy are batched (one pool job fills up to
  16 scratch files, fsyncs them, renames them and fsyncs the directory once), and writes queued
  behind others to the same target are coalesced: the newest supersedes the waiting ones, which
  resolve with \`superseded: true\` once the newer bytes are durable. That is the
  "64 in flight, one file" row.
- On Linux, a publish that will be fsynced asks the kernel to start writing back every 8 MiB as
  soon as it is in the scratch (\`sync_file_range(SYNC_FILE_RANGE_WRITE)\`, a hint that waits for
  nothing), so the fsync before the rename finds only the tail left. That is why large
  publishes can beat the unprotected baselines, whose single fsync writes the whole file at
  the end.
- What separates a sequential \`await write()\` from the core's own loop is the thread-pool round
  trip around each blocking fsync (\`bench:ceiling\` measures it with no Node at all).
- \`npm run bench:check\` (about 1–2 minutes) checks the quick rows against floors written in
  \`bench/check.mjs\`; on a shared machine a miss means "measure again on a quiet one".
`

/** What the page says about where and with what the benches ran. */
export function describeRun() {
  const cpu = cpus()
  const versionOf = (name) => {
    try {
      return JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version
    } catch {
      return null
    }
  }
  const command = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    } catch {
      return null
    }
  }
  const dir = process.env.BENCH_DIR ?? tmpdir()
  const mount = command('findmnt', ['-n', '-o', 'FSTYPE,OPTIONS', '-T', tmpdir()])
  const peers = ['write-file-atomic', 'atomically', 'fast-write-atomic', 'fs-write-stream-atomic', 'hash-wasm', '@node-rs/xxhash', 'xxhash-addon']
  return {
    cpu: `${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} logical CPUs`,
    ram: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${type()} ${release()}`,
    fileSystem: mount ? `${mount.split(/\s+/)[0]} (${mount.split(/\s+/)[1]}), for ${tmpdir()}` : `unknown, for ${tmpdir()}`,
    benchDir: dir === tmpdir() ? null : dir,
    load: loadavg().map((l) => l.toFixed(1)).join(', '),
    node: process.version,
    rust: command('rustc', ['--version']) ?? 'unknown',
    version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version,
    peers: peers.map((p) => `${p} ${versionOf(p) ?? '(not installed)'}`).join(', '),
    xxhsum: spawnSync('xxhsum', ['--version'], { encoding: 'utf8' }).stderr?.match(/xxhsum \S+/)?.[0] ?? null,
    settings: Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_') && k !== 'BENCH_MARKDOWN').map(([k, v]) => `${k}=${v}`),
  }
}

/** A bench's printed output as Markdown: titles of tables in bold, blank lines around tables. */
function asMarkdown(output) {
  const lines = output.replace(/\r/g, '').split('\n')
  const out = []
  lines.forEach((line, i) => {
    const isTable = line.startsWith('|')
    const nextIsTable = lines[i + 1]?.startsWith('|') ?? false
    if (isTable && out.length > 0 && !out[out.length - 1].startsWith('|') && out[out.length - 1] !== '') out.push('')
    if (!isTable && line.trim() !== '' && nextIsTable) out.push(`**${line.trim()}**`)
    else if (!isTable && line.trim() !== '') out.push(line.trim().startsWith('-') ? line.trim() : `${line.trim()}  `)
    else out.push(line)
    if (isTable && !nextIsTable) out.push('')
  })
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim()
}

/** The whole page. */
export function performancePage({ machine, started, finished, outputs }) {
  const minutes = Math.round((finished - started) / 60000)
  const command = `${machine.settings.length > 0 ? `${machine.settings.join(' ')} ` : ''}npm run bench -- --write-doc`
  const reduced = machine.settings.length > 0 ? '\nThese settings make a shorter run than the default: fewer repetitions, fewer publishes or smaller\nsizes.\n' : ''
  const sections = outputs.map(({ name, output }) => {
    const [title, script, what] = INTRO[name]
    return `## ${title}\n\n\`npm run ${script}\`: ${what}\n\n${asMarkdown(output)}\n`
  })
  return `# Performance

Generated on ${started.toISOString().slice(0, 10)} (started ${started.toISOString().slice(11, 16)} UTC, ${minutes} min) by

\`\`\`sh
${command}
\`\`\`
${reduced}
Run the same command on your own machine for figures that mean something there; each bench
also runs alone (\`npm run bench:small\`, \`bench:ceiling\`, \`bench:stream\`, \`bench:hash\`,
\`bench:copy\`, \`bench:hardening\`).

| machine | |
|---|---|
| CPU | ${machine.cpu} |
| memory | ${machine.ram} |
| kernel | ${machine.kernel} |
| file system | ${machine.fileSystem}${machine.benchDir ? `; \`BENCH_DIR\` ${machine.benchDir}` : ''} |
| load average at the start | ${machine.load} |
| Node | ${machine.node} |
| Rust | ${machine.rust} |
| atomic-publish | ${machine.version} (release build) |
| compared with | ${machine.peers}${machine.xxhsum ? `; ${machine.xxhsum}` : ''} |

${READING}
${sections.join('\n')}`
}
