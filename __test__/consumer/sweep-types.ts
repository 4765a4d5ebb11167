// A consumer's file, compiled under `strict` against the shipped declarations by sweep.spec.ts
// and pack.spec.ts: sweepOrphans gives paths as fs.readdir does, strings by default and
// Buffers of the exact bytes with `encoding: 'buffer'`. (Not part of the test build.)

import { sweepOrphans, type SweepIncompleteError } from 'atomic-publish'

export async function main(dir: string): Promise<void> {
  const names: string[] = await sweepOrphans(dir)
  const deep: string[] = await sweepOrphans(dir, { recursive: true, olderThanMs: 0, encoding: 'utf8' })
  const latin1: string[] = await sweepOrphans(new URL('file:///tmp'), { encoding: 'latin1' })
  const raw: Buffer[] = await sweepOrphans(Buffer.from(dir), { dryRun: true, encoding: 'buffer' })
  const chosen: string[] | Buffer[] = await sweepOrphans(dir, { encoding: Math.random() > 0.5 ? 'buffer' : 'utf8' })
  console.log(names.map((n) => n.toUpperCase()), deep, latin1, raw.map((b) => b.byteLength), chosen)
  await sweepOrphans(dir).catch((e: SweepIncompleteError) => e.removed)

  // @ts-expect-error the buffer form is Buffer[], not string[]
  const notText: string[] = await sweepOrphans(dir, { encoding: 'buffer' })
  // @ts-expect-error the default form is string[], not Buffer[]
  const notBytes: Buffer[] = await sweepOrphans(dir)
  // @ts-expect-error an encoding is one of Buffer's, or 'buffer'
  await sweepOrphans(dir, { encoding: 'bytes' })
  console.log(notText, notBytes)
}
