// A consumer's ESM file, compiled under `strict` against the shipped index.d.mts by
// types.spec.ts and pack.spec.ts: the one-call forms type-check with an options object, the
// results' hash is a string where it is always set, and the mistakes below are refused.
// (Not part of the test build: it imports the package by name.)

import { AtomicFile, publish, publishCopy, publishCopySync, type PublishOptions, publishStream, publishSync, type WriteResult, xxh3_128 } from 'atomic-publish'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'

// Settings from configuration, passed through as they are.
const fromConfig: PublishOptions = {
  hash: xxh3_128('data'),
  mtime: new Date(),
  mode: 0o600,
  owner: { uid: -1, gid: 1000 },
  durability: 'file',
  overwrite: false,
  signal: AbortSignal.timeout(1000),
  onProgress: (bytes: number, total?: number) => console.log(bytes, total ?? 'unknown'),
}

const written: WriteResult = await publish('/tmp/a', 'data', fromConfig)
const hash: string = written.hash
const synced: string = publishSync(new URL('file:///tmp/b'), new Uint8Array(4), { durability: 'none' }).hash
await publish(Buffer.from('/tmp/c'), new ArrayBuffer(8))
const copied = await publishCopy('/tmp/d', '/tmp/a', { hash: 1n })
const copiedSync = publishCopySync('/tmp/e', '/tmp/a')
const bytes: number = copied.bytes + copiedSync.bytes
const out = publishStream('/tmp/f', { mode: 0o644 })
await pipeline(Readable.from(['x']), out)
const streamed: string | undefined = out.result?.hash
const chained: string = (await new AtomicFile('/tmp/g').write('x')).hash
console.log(hash.toUpperCase(), synced, bytes, streamed, chained)

// @ts-expect-error an unknown option key is refused, not ignored
await publish('/tmp/a', 'data', { hsah: 'ab' })
// @ts-expect-error a durability level is one of three strings
await publish('/tmp/a', 'data', { durability: 'data' })
// @ts-expect-error the owner is an object of uid and gid
publishSync('/tmp/a', 'data', { owner: 1000 })
// @ts-expect-error a copy's hash may be absent (kernel fast path), so it is not a string
const notAlways: string = copied.hash
// @ts-expect-error a number is not data to publish
await publish('/tmp/a', 42)
// @ts-expect-error nothing can cancel a synchronous publish: its options have no signal
publishSync('/tmp/a', 'data', { signal: AbortSignal.timeout(1000) })
// @ts-expect-error nor have a synchronous copy's
publishCopySync('/tmp/e', '/tmp/a', { signal: AbortSignal.timeout(1000) })
console.log(notAlways)
