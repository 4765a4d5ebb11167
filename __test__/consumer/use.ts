// A consumer's file, compiled under `strict` against the shipped index.d.ts by pack.spec.ts.
// (Not part of the test build: it imports the installed package.)

import { AbortError, AtomicFile, createHasher, HashMismatchError, hashFile, type PublishResult, type WriteResult, type SweepIncompleteError, type SweptPath, sweepOrphans, xxh3_128 } from 'atomic-publish'

import writeFileAtomic = require('atomic-publish/compat')

async function main(): Promise<void> {
  await writeFileAtomic('/tmp/c', 'x', { mode: 0o600, chown: false, fsync: false, tmpfileCreated: async (p: string) => void p })
  writeFileAtomic.sync('/tmp/c', new Uint8Array(1), 'utf8')
  const text: string | Buffer = writeFileAtomic.readFileSync('/tmp/c', { encoding: 'utf8', timeout: 0 })
  await writeFileAtomic.writeFile('/tmp/c', 'y', (err) => void err?.code)
  console.log(text)
  const controller = new AbortController()
  const result: WriteResult = await new AtomicFile(new URL('file:///tmp/x'))
    .withHash(xxh3_128('data'))
    .withMtime(1_700_000_000_000_000_000n)
    .withMode(0o644)
    .withFsync(true)
    .withDurability('file')
    .withOverwrite(false)
    .withOwner(-1, 1000)
    .withSignal(controller.signal)
    .write('data')
  const bytes: number = result.bytes
  // write() always hashes: the result's hash is a string, no `!` needed.
  const hash: string = result.hash
  await new AtomicFile('/tmp/y').onProgress((n: number) => void n).stream((async function* () { yield new Uint8Array(1) })())
  new AtomicFile(Buffer.from('/tmp/z')).copyFromSync('/tmp/x')
  const sink: import('node:stream').Writable = new AtomicFile('/tmp/v').createWriteStream()
  sink.on('finish', () => console.log((sink as ReturnType<AtomicFile['createWriteStream']>).result?.bytes))
  const digest: string = await hashFile('/tmp/x')
  const hasher = createHasher().update('a').update(new Uint8Array(2))
  const removed: SweptPath[] = await sweepOrphans('/tmp', { olderThanMs: 0, recursive: true, dryRun: true }).catch((e: SweepIncompleteError) => {
    if (e.code !== 'ERR_SWEEP_INCOMPLETE') throw e
    for (const failure of e.errors) console.log(failure.path, failure.code, failure.syscall)
    return e.removed
  })
  try {
    await new AtomicFile('/tmp/w').withHash(0n).write(new Float64Array(2))
  } catch (err) {
    if (err instanceof HashMismatchError) console.log(err.expected, err.actual, err.path)
    if (err instanceof AbortError) console.log(err.cause)
  }
  console.log(bytes, hash.toUpperCase(), digest, hasher.digest(), removed)
  const streamed: string = (await new AtomicFile('/tmp/s').stream((async function* () { yield new Uint8Array(1) })())).hash
  const copied: PublishResult = new AtomicFile('/tmp/c').copyFromSync('/tmp/x')
  console.log(streamed, copied)
  // @ts-expect-error a copy may take the kernel's fast path and leave the hash out
  const copiedHash: string = copied.hash
  console.log(copiedHash)

  // @ts-expect-error a durability level is one of three strings
  new AtomicFile('/tmp/x').withDurability('data')
  // @ts-expect-error a number is not data to write
  await new AtomicFile('/tmp/v').write(42)
  // @ts-expect-error a mode is a number, not a string
  new AtomicFile('/tmp/v').withMode('755')
  // @ts-expect-error an expected hash is a string or a bigint
  new AtomicFile('/tmp/v').withHash(123)
}

void main()
