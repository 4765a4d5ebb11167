// Property: any builder chain, any arguments, any payload, any chunking → either a documented
// error (argument errors thrown at once, a hash mismatch) with the target untouched, or a
// publish whose bytes and hash are exactly the input's. Shared by the CI test and the heavy run.

import fc from 'fast-check'
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AtomicFile, xxh3_128 } from 'atomic-publish'

// ERR_OUT_OF_RANGE: an mtime the file system would clamp (guarantee 10).
const DOCUMENTED = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_HASH_MISMATCH', 'ERR_OUT_OF_RANGE'])

const anyValue = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.string(),
  fc.object({ maxDepth: 1 }),
  fc.date({ noInvalidDate: false }),
)

type Step = { method: 'withHash' | 'withMtime' | 'withMode' | 'withFsync'; arg: unknown }

const step = fc.oneof(
  fc.record({ method: fc.constant('withHash' as const), arg: fc.oneof(anyValue, fc.constant('right'), fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: 1, maxLength: 34 })) }),
  fc.record({ method: fc.constant('withMtime' as const), arg: fc.oneof(anyValue, fc.bigInt({ min: -(10n ** 22n), max: 10n ** 22n }), fc.double({ min: -1e16, max: 1e16 })) }),
  fc.record({ method: fc.constant('withMode' as const), arg: fc.oneof(anyValue, fc.integer({ min: -10, max: 0o10010 })) }),
  fc.record({ method: fc.constant('withFsync' as const), arg: fc.oneof(anyValue, fc.boolean()) }),
)

const payload = fc.oneof(fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ minLength: 60_000, maxLength: 300_000 }))

export interface FuzzSummary {
  runs: number
  published: number
  documentedErrors: number
}

export async function runFuzz(dir: string, numRuns: number, seed: number): Promise<FuzzSummary> {
  const summary: FuzzSummary = { runs: 0, published: 0, documentedErrors: 0 }
  let counter = 0
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { maxLength: 6 }),
      payload,
      fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 8 }),
      fc.constantFrom('write', 'writeSync', 'stream', 'copyFrom', 'copyFromSync'),
      async (steps: Step[], bytes: Uint8Array, cuts: number[], terminal: string) => {
        summary.runs++
        const target = join(dir, `t${counter++ % 16}`)
        const before = Buffer.from(`previous ${counter}`)
        // A fresh file each run: an earlier run may have left the target without write (or
        // read) permission, which binds a user other than root.
        rmSync(target, { force: true })
        writeFileSync(target, before)
        const data = Buffer.from(bytes)
        let error: (Error & { code?: string }) | undefined
        let result: { bytes: number; hash?: string } | undefined
        try {
          let file = new AtomicFile(target)
          for (const { method, arg } of steps) {
            const value = method === 'withHash' && arg === 'right' ? xxh3_128(data) : arg
            file = (file[method] as (v: unknown) => AtomicFile).call(file, value)
          }
          if (terminal === 'write') result = await file.write(data)
          else if (terminal === 'writeSync') result = file.writeSync(data)
          else if (terminal === 'stream') {
            result = await file.stream((async function* () {
              let at = 0
              for (const cut of cuts) {
                yield data.subarray(at, at + cut)
                at += cut
              }
              yield data.subarray(at)
            })())
          } else {
            writeFileSync(`${target}.src`, data)
            result = terminal === 'copyFrom' ? await file.copyFrom(`${target}.src`) : file.copyFromSync(`${target}.src`)
          }
        } catch (e) {
          error = e as Error & { code?: string }
        }
        chmodSync(target, 0o600) // Whatever mode was published, this process reads it back.
        const now = readFileSync(target)
        if (error) {
          if (!DOCUMENTED.has(String(error.code))) throw new Error(`undocumented error ${error.code}: ${error.message}`)
          if (!now.equals(before)) throw new Error(`${error.code} but the target changed`)
          summary.documentedErrors++
        } else {
          if (!now.equals(data)) throw new Error('published bytes differ from the input')
          if (result?.bytes !== data.length) throw new Error(`bytes ${result?.bytes} != ${data.length}`)
          if (result.hash !== undefined && result.hash !== xxh3_128(data)) throw new Error('hash differs')
          summary.published++
        }
      },
    ),
    { numRuns, seed },
  )
  return summary
}
